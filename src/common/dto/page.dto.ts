import type { Type } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';

/** The Swagger shape of `{items, total, page, limit}` for one item type (Swagger needs a class per type). */
export function PageDto<T>(itemType: Type<T>, name: string) {
  class PageOf {
    @ApiProperty({ type: [itemType] })
    items: T[];

    @ApiProperty({ example: 1 })
    total: number;

    @ApiProperty({ example: 1 })
    page: number;

    @ApiProperty({ example: 20 })
    limit: number;
  }
  Object.defineProperty(PageOf, 'name', { value: name });
  return PageOf;
}
