import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { type HydratedDocument, Types } from 'mongoose';

export const SALE_STATUSES = ['scheduled', 'active', 'sold_out', 'ended'] as const;
export type SaleStatus = (typeof SALE_STATUSES)[number];

@Schema({ _id: false })
export class ProductSnapshot {
  @Prop({ required: true })
  name: string;

  @Prop({ required: true })
  priceCents: number;
}

@Schema({ timestamps: true, collection: 'sales' })
export class Sale {
  @Prop({ required: true })
  name: string;

  @Prop({ type: Types.ObjectId, required: true })
  productId: Types.ObjectId;

  /** Copied at creation (products are immutable), so reading a sale never joins. */
  @Prop({ type: ProductSnapshot, required: true })
  product: ProductSnapshot;

  @Prop({ required: true })
  startTime: Date;

  @Prop({ type: Date, default: null })
  endTime: Date | null;

  @Prop({ required: true, min: 1 })
  totalQuantity: number;

  /** Only ever changed by `$inc` with a `$gte` guard (purchase) or by a guarded repair (reconciler). */
  @Prop({ required: true, min: 0 })
  remainingQuantity: number;

  @Prop({ required: true, default: 0 })
  soldQuantity: number;

  @Prop({ required: true, min: 1, default: 1 })
  maxPerUser: number;

  @Prop({ type: String, required: true, enum: SALE_STATUSES, default: 'scheduled' })
  status: SaleStatus;

  @Prop({ type: Date, default: null })
  activatedAt: Date | null;

  /** Bumped by every accepted take, never lowered: gives each purchase its place in line. */
  @Prop({ required: true, default: 0 })
  acceptedSeq: number;

  /**
   * The time of the latest accepted take, raised with `$max` by the same write that hands out the place
   * in line: a purchase's time is this value, so times never decrease along the line.
   */
  @Prop({ type: Date, default: null })
  lastAcceptedAt: Date | null;

  /**
   * Moved by every write to the stock counters (each take and each recount), never lowered: of two views
   * of a sale, the one with the lower revision is the older, so a late answer never replaces a newer
   * view in memory (SaleSnapshotCache). Status sweeps do not move it; an equal revision is not older.
   */
  @Prop({ required: true, default: 0 })
  stockRevision: number;

  /** Set by every take, cleared by the reconciler's guarded recount at a quiet moment. */
  @Prop({ default: false })
  auditDue: boolean;

  createdAt: Date;
}

export type SaleDocument = HydratedDocument<Sale>;
export type StoredSale = Sale & { _id: Types.ObjectId };
export const SaleSchema = SchemaFactory.createForClass(Sale);

// The scheduler's activation sweep: status = scheduled, startTime <= now.
SaleSchema.index({ status: 1, startTime: 1 });
// The scheduler's ending sweep: status in (...), endTime <= now.
SaleSchema.index({ status: 1, endTime: 1 });
// The sale list, newest first.
SaleSchema.index({ createdAt: -1, _id: -1 });
// The reconciler's audit list: sales with takes not yet checked against their purchases.
SaleSchema.index({ auditDue: 1 });
