/** Kernel error numbers the model returns (by name, as scenario files write them). */
export type Errno = 'EINVAL' | 'EFAULT' | 'EIO' | 'ENOMEM' | 'EHWPOISON' | 'EWOULDBLOCK' | 'EEXIST' | 'EBUSY';

export interface ErrnoResult {
  readonly errno: Errno;
  readonly reason: string;
}

export const isErrno = (v: unknown): v is ErrnoResult =>
  typeof v === 'object' && v !== null && 'errno' in v && typeof (v as { errno: unknown }).errno === 'string';
