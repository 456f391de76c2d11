#ifndef TROUPE_CCRYPT_H
#define TROUPE_CCRYPT_H

// libxcrypt (Debian: libcrypt-dev): crypt_r and crypt_gensalt_rn for yescrypt password
// hashes. Both are reentrant: each call takes its own output buffer, so any number of
// threads of the KDF pool may hash at once.
#include <crypt.h>

#endif
