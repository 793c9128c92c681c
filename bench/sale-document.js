'use strict';

/**
 * An open sale as the service stores one (the product copied into it), for the bench to insert directly:
 * started a minute ago, no buyer yet. `fields` override any of it.
 */
const openSaleDocument = ({ _id, name, product, stock, now }, fields = {}) => ({
  _id,
  name,
  productId: product._id,
  product: { name: product.name, priceCents: product.priceCents },
  startTime: new Date(now - 60_000),
  endTime: null,
  totalQuantity: stock,
  remainingQuantity: stock,
  soldQuantity: 0,
  maxPerUser: 1,
  status: 'active',
  activatedAt: new Date(now - 60_000),
  acceptedSeq: 0,
  lastAcceptedAt: null,
  stockRevision: 0,
  auditDue: false,
  createdAt: new Date(now),
  updatedAt: new Date(now),
  ...fields,
});

module.exports = { openSaleDocument };
