import { ApiProperty } from '@nestjs/swagger';
import { ROLES, type Role } from '../../users/schemas/user.schema';

export class UserDto {
  @ApiProperty({ example: '665f1c2e9b1e8a3f4c0d1234' })
  id: string;

  @ApiProperty({ example: 'alice_01' })
  username: string;

  @ApiProperty({ example: 'alice@example.com' })
  email: string;

  @ApiProperty({ enum: ROLES })
  role: Role;
}

export class AuthResponseDto {
  @ApiProperty({ type: UserDto })
  user: UserDto;

  @ApiProperty({ description: 'HS256 JWT; send as `Authorization: Bearer <token>`' })
  accessToken: string;
}
