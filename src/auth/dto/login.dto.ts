import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsNotEmpty, IsString, MaxLength, NotContains } from 'class-validator';

export class LoginDto {
  @ApiProperty({ example: 'alice@example.com' })
  @IsString()
  @MaxLength(254)
  @IsEmail()
  email: string;

  // Not the registration policy (a password set before it may be longer), but never empty and never
  // with a NUL: bcrypt stops at a NUL, so "" would match a password of NULs.
  @ApiProperty({ example: 'correct horse battery', minLength: 1, maxLength: 128 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  @NotContains('\u0000', { message: 'password must not contain a NUL character' })
  password: string;
}
