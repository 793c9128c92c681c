import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * One document per group of jobs that must run on one instance at a time. Whoever holds it runs them
 * until `expiresAt`; it is taken and renewed by one conditional update (see lease-store.ts).
 */
@Schema({ collection: 'leases', versionKey: false })
export class Lease {
  /** The job group, e.g. `periodic-jobs`. */
  @Prop({ type: String, required: true })
  _id: string;

  /** hostname:pid:random of the instance holding it. */
  @Prop({ required: true })
  holder: string;

  @Prop({ required: true })
  expiresAt: Date;
}

export const LeaseSchema = SchemaFactory.createForClass(Lease);
