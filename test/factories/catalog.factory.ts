import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { http } from '../support/test-app';

export interface SaleBody {
  id: string;
  productId: string;
  startTime: string;
  endTime: string | null;
  totalQuantity: number;
  remainingQuantity: number;
  soldQuantity: number;
  maxPerUser: number;
  status: string;
  activatedAt: string | null;
  createdAt: string;
}

export async function createProduct(
  app: NestFastifyApplication,
  token: string,
  overrides: Record<string, unknown> = {},
): Promise<{ id: string; price: number }> {
  const response = await http(app)
    .post('/api/products')
    .auth(token, { type: 'bearer' })
    .send({ name: 'Limited sneakers', description: 'Only a few', price: 129.99, ...overrides })
    .expect(201);
  return response.body as { id: string; price: number };
}

export const secondsFromNow = (seconds: number) =>
  new Date(Date.now() + seconds * 1000).toISOString();

/** A sale of a fresh product; by default already open (started a second ago, no end). */
export async function createSale(
  app: NestFastifyApplication,
  token: string,
  overrides: Record<string, unknown> = {},
): Promise<SaleBody> {
  const product = await createProduct(app, token);
  const response = await http(app)
    .post('/api/sales')
    .auth(token, { type: 'bearer' })
    .send({ productId: product.id, startTime: secondsFromNow(-1), totalQuantity: 10, ...overrides })
    .expect(201);
  return response.body as SaleBody;
}
