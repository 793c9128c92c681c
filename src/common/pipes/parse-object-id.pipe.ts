import { Injectable, type PipeTransform } from '@nestjs/common';
import { isValidObjectId } from 'mongoose';
import { badRequest } from '../errors/api-error';
import { ErrorCode } from '../errors/error-codes';

const OBJECT_ID = /^[0-9a-f]{24}$/i;

/** Whether the pipe below lets `value` through (the purchase fast lane asks before answering). */
export const isObjectIdString = (value: unknown): value is string =>
  typeof value === 'string' && OBJECT_ID.test(value) && isValidObjectId(value);

/** Rejects anything but a 24-hex-digit id before it can reach a query. */
@Injectable()
export class ParseObjectIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isObjectIdString(value)) {
      throw badRequest(ErrorCode.INVALID_ID, `'${String(value).slice(0, 64)}' is not a valid id`);
    }
    return value.toLowerCase();
  }
}
