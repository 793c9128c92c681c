import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { conflict } from '../common/errors/api-error';
import { ErrorCode } from '../common/errors/error-codes';
import { isDuplicateKeyError } from '../common/errors/mongo-errors';
import { User, type Role } from './schemas/user.schema';

export interface PublicUser {
  id: string;
  username: string;
  email: string;
  role: Role;
}

export interface NewUser {
  username: string;
  email: string;
  passwordHash: string;
  role: Role;
  systemKey?: string;
}

type StoredUser = User & { _id: Types.ObjectId };

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export function toPublicUser(user: StoredUser): PublicUser {
  return {
    id: user._id.toHexString(),
    username: user.username,
    email: user.email,
    role: user.role,
  };
}

@Injectable()
export class UsersService {
  constructor(@InjectModel(User.name) private readonly users: Model<User>) {}

  async create(user: NewUser): Promise<PublicUser> {
    try {
      const created = await this.users.create({
        ...user,
        email: normalizeEmail(user.email),
        usernameKey: user.username.toLowerCase(),
      });
      return toPublicUser(created.toObject());
    } catch (error) {
      if (isDuplicateKeyError(error)) {
        throw conflict(ErrorCode.USER_EXISTS, 'A user with this username or email already exists');
      }
      throw error;
    }
  }

  /** The only read that includes the password hash; used by login alone. */
  async isUsernameTaken(username: string): Promise<boolean> {
    return (await this.users.exists({ usernameKey: username.toLowerCase() }).exec()) !== null;
  }

  async findCredentialsByEmail(
    email: string,
  ): Promise<(PublicUser & { passwordHash: string }) | null> {
    const user = await this.users
      .findOne({ email: normalizeEmail(email), disabledAt: { $exists: false } })
      .select('+passwordHash')
      .lean<StoredUser>()
      .exec();
    return user ? { ...toPublicUser(user), passwordHash: user.passwordHash } : null;
  }

  async findById(id: string): Promise<PublicUser | null> {
    if (!Types.ObjectId.isValid(id)) return null;
    const user = await this.users
      .findOne({ _id: id, disabledAt: { $exists: false } })
      .lean<StoredUser>()
      .exec();
    return user ? toPublicUser(user) : null;
  }

  /** Shuts a buyer's account out (admins are not disabled here); false when there is no such buyer. */
  async disable(id: string): Promise<boolean> {
    if (!Types.ObjectId.isValid(id)) return false;
    const buyer = { _id: id, role: 'user' };
    const { matchedCount } = await this.users
      .updateOne({ ...buyer, disabledAt: { $exists: false } }, { $set: { disabledAt: new Date() } })
      .exec();
    return matchedCount > 0 || (await this.users.exists(buyer).exec()) !== null;
  }

  /** Ids of every disabled account (few): what each instance refuses tokens for. */
  async disabledIds(): Promise<string[]> {
    const users = await this.users
      .find({ disabledAt: { $exists: true } }, { _id: 1 })
      .lean<StoredUser[]>()
      .exec();
    return users.map((user) => user._id.toHexString());
  }

  async findBySystemKey(systemKey: string): Promise<PublicUser | null> {
    const user = await this.users.findOne({ systemKey }).lean<StoredUser>().exec();
    return user ? toPublicUser(user) : null;
  }

  /** Marks an existing account (an admin made before markers existed); false if another has the key. */
  async setSystemKey(id: string, systemKey: string): Promise<boolean> {
    try {
      await this.users.updateOne({ _id: id }, { $set: { systemKey } }).exec();
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  async findByEmail(email: string): Promise<PublicUser | null> {
    const user = await this.users
      .findOne({ email: normalizeEmail(email) })
      .lean<StoredUser>()
      .exec();
    return user ? toPublicUser(user) : null;
  }
}
