import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, Length, Matches, MaxLength } from 'class-validator';
import {
  IsBcryptSafePassword,
  PASSWORD_MAX_BYTES,
  PASSWORD_MIN_CHARACTERS,
  PASSWORD_RULE,
} from '../../common/validation/password-policy';

export class RegisterDto {
  @ApiProperty({ example: 'alice_01', minLength: 3, maxLength: 32, pattern: '^[A-Za-z0-9_.-]+$' })
  @IsString()
  @Length(3, 32)
  @Matches(/^[A-Za-z0-9_.-]+$/, { message: 'username may contain only letters, digits, _ . -' })
  username: string;

  @ApiProperty({ example: 'alice@example.com' })
  @IsString()
  @MaxLength(254)
  @IsEmail()
  email: string;

  @ApiProperty({
    example: 'correct horse battery',
    minLength: PASSWORD_MIN_CHARACTERS,
    // maxLength counts characters; the real bound is bytes (see the description).
    maxLength: PASSWORD_MAX_BYTES,
    description: `The password ${PASSWORD_RULE}.`,
  })
  @IsString()
  @IsBcryptSafePassword()
  password: string;
}
