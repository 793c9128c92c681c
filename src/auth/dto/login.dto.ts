import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, MaxLength } from 'class-validator';
import {
  IsLoginPassword,
  LOGIN_PASSWORD_RULE,
  PASSWORD_MAX_BYTES,
} from '../../common/validation/password-policy';

export class LoginDto {
  @ApiProperty({ example: 'alice@example.com' })
  @IsString()
  @MaxLength(254)
  @IsEmail()
  email: string;

  // Not the whole registration policy (the length floor and the blank check are not repeated), but
  // never what bcrypt would read as another password: see loginPasswordProblem.
  @ApiProperty({
    example: 'correct horse battery',
    minLength: 1,
    // maxLength counts characters; the real bound is bytes (see the description).
    maxLength: PASSWORD_MAX_BYTES,
    description: `The password ${LOGIN_PASSWORD_RULE}.`,
  })
  @IsString()
  @IsLoginPassword()
  password: string;
}
