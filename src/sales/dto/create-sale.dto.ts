import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsDate,
  IsInt,
  IsMongoId,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
  Validate,
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { ToIsoDate } from '../../common/validation/is-iso-date-string';

@ValidatorConstraint({ name: 'isAfterStartTime' })
class IsAfterStartTime implements ValidatorConstraintInterface {
  validate(endTime: unknown, args: ValidationArguments): boolean {
    const { startTime } = args.object as CreateSaleDto;
    return endTime instanceof Date && startTime instanceof Date && endTime > startTime;
  }

  defaultMessage(): string {
    return 'endTime must be after startTime';
  }
}

/** A per-buyer cap above the whole stock can never be reached: almost always a typo. */
@ValidatorConstraint({ name: 'isAtMostTotalQuantity' })
class IsAtMostTotalQuantity implements ValidatorConstraintInterface {
  validate(maxPerUser: unknown, args: ValidationArguments): boolean {
    const { totalQuantity } = args.object as CreateSaleDto;
    return (
      typeof maxPerUser !== 'number' ||
      typeof totalQuantity !== 'number' ||
      maxPerUser <= totalQuantity
    );
  }

  defaultMessage(): string {
    return 'maxPerUser must not exceed totalQuantity';
  }
}

export class CreateSaleDto {
  @ApiProperty({ example: '665f1c2e9b1e8a3f4c0d1234' })
  @IsMongoId()
  productId: string;

  @ApiPropertyOptional({
    example: 'Black Friday drop',
    description: 'Defaults to the product name',
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiProperty({ example: '2026-11-27T09:00:00.000Z', format: 'date-time' })
  @ToIsoDate()
  @IsDate({ message: '$property must be an ISO-8601 date-time with a time zone' })
  startTime: Date;

  @ApiPropertyOptional({ example: '2026-11-27T10:00:00.000Z', format: 'date-time' })
  @IsOptional()
  @ToIsoDate()
  @IsDate({ message: '$property must be an ISO-8601 date-time with a time zone' })
  @Validate(IsAfterStartTime)
  endTime?: Date;

  @ApiProperty({ example: 100, minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  totalQuantity: number;

  @ApiPropertyOptional({
    example: 1,
    minimum: 1,
    default: 1,
    description: 'At most totalQuantity',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000)
  @Validate(IsAtMostTotalQuantity)
  maxPerUser?: number;
}
