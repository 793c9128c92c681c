import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { HydratedDocument } from 'mongoose';

export const ROLES = ['user', 'admin'] as const;
export type Role = (typeof ROLES)[number];

@Schema({ timestamps: true, collection: 'users' })
export class User {
  @Prop({ required: true })
  username: string;

  /** Lower-cased username: uniqueness ignores case, so "Alice" and "alice" cannot both exist. */
  @Prop({ required: true })
  usernameKey: string;

  /** Stored lower-cased: emails are unique case-insensitively. */
  @Prop({ required: true })
  email: string;

  @Prop({ required: true, select: false })
  passwordHash: string;

  @Prop({ type: String, required: true, enum: ROLES, default: 'user' })
  role: Role;

  /**
   * Set only on accounts the service itself made (the admin of ADMIN_EMAIL: `bootstrap-admin`), which
   * are found by it: a username or email can be registered by anyone first, this marker cannot.
   */
  @Prop({ type: String })
  systemKey?: string;

  /** When an admin shut the account out (DELETE /api/users/:id): it cannot log in or use a token. */
  @Prop({ type: Date })
  disabledAt?: Date;

  createdAt: Date;
}

export type UserDocument = HydratedDocument<User>;
export const UserSchema = SchemaFactory.createForClass(User);

// Login looks users up by email; both indexes also enforce registration's uniqueness rules.
UserSchema.index({ email: 1 }, { unique: true });
UserSchema.index({ usernameKey: 1 }, { unique: true });
// The admin bootstrap finds its account by marker; sparse: ordinary users have none.
UserSchema.index({ systemKey: 1 }, { unique: true, sparse: true });
// Each instance loads the disabled accounts at boot (AccountRevocations); sparse: nearly none are.
UserSchema.index({ disabledAt: 1 }, { sparse: true });
