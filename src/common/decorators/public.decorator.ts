import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';

export const IS_PUBLIC_KEY = 'isPublic';

/**
 * Marks a route that needs no bearer token, for the guard and for the OpenAPI document alike
 * (`security: []`, so Swagger UI and collection runners send no token there). `summary: undefined`
 * keeps the summary of the route's own @ApiOperation, whichever decorator runs first.
 */
export const Public = () =>
  applyDecorators(
    SetMetadata(IS_PUBLIC_KEY, true),
    ApiOperation({ summary: undefined, security: [] }),
  );
