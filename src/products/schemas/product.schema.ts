import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { HydratedDocument } from 'mongoose';

@Schema({ timestamps: true, collection: 'products' })
export class Product {
  @Prop({ required: true })
  name: string;

  /** Absent when the admin gave none. */
  @Prop()
  description?: string;

  /** Integer cents: money is never stored as a binary fraction. */
  @Prop({ required: true, min: 0 })
  priceCents: number;

  createdAt: Date;
}

export type ProductDocument = HydratedDocument<Product>;
export const ProductSchema = SchemaFactory.createForClass(Product);

// The product list is newest first.
ProductSchema.index({ createdAt: -1, _id: -1 });
