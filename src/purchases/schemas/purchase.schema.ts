import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { type HydratedDocument, Types } from 'mongoose';

export const PURCHASE_STATES = ['pending', 'confirmed'] as const;
export type PurchaseState = (typeof PURCHASE_STATES)[number];

/**
 * One buyer's purchase in one sale. Without transactions a record is written `pending` before units are
 * taken (the unique index deduplicates before any stock moves) and `confirmed` after; only confirmed
 * records are purchases. See docs/purchase-algorithm.md.
 */
@Schema({ collection: 'purchases', versionKey: false })
export class Purchase {
  @Prop({ type: Types.ObjectId, required: true })
  saleId: Types.ObjectId;

  @Prop({ type: Types.ObjectId, required: true })
  userId: Types.ObjectId;

  @Prop({ required: true })
  username: string;

  @Prop({ required: true })
  saleName: string;

  @Prop({ required: true })
  productName: string;

  @Prop({ required: true, min: 1 })
  quantity: number;

  @Prop({ type: String, required: true, enum: PURCHASE_STATES })
  state: PurchaseState;

  /** The sale's acceptedSeq handed out with this purchase's units: its place in line. */
  @Prop({ type: Number, default: null })
  seq: number | null;

  @Prop({ required: true })
  attemptedAt: Date;

  @Prop({ type: Date, default: null })
  purchasedAt: Date | null;
}

export type PurchaseDocument = HydratedDocument<Purchase>;
export type StoredPurchase = Purchase & { _id: Types.ObjectId };
export const PurchaseSchema = SchemaFactory.createForClass(Purchase);

// One purchase per user per sale, also for simultaneous double-clicks.
PurchaseSchema.index({ saleId: 1, userId: 1 }, { unique: true });
// The leaderboard: a sale's confirmed purchases in line order (_id settles any tie), and their count.
PurchaseSchema.index({ saleId: 1, state: 1, seq: 1, _id: 1 });
// GET /purchases/me, newest first.
PurchaseSchema.index({ userId: 1, state: 1, purchasedAt: -1 });
// The reconciler's scan for abandoned pending records.
PurchaseSchema.index({ state: 1, attemptedAt: 1 });
