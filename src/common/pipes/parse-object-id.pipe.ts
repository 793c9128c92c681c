import { Injectable, type PipeTransform } from '@nestjs/common';
import { isValidObjectId } from 'mongoose';
import { badRequest } from '../errors/api-error';
import { ErrorCode } from '../errors/error-codes';

/** 24 hex digits: the one rule for ids in paths, checked here and stated in the OpenAPI document. */
export const OBJECT_ID_PATTERN = '^[0-9a-fA-F]{24}$';
const OBJECT_ID = new RegExp(OBJECT_ID_PATTERN);

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
