#ifndef TROUPE_CLIBCRYPTO_H
#define TROUPE_CLIBCRYPTO_H

// OpenSSL's libcrypto (Debian: libssl-dev), for SHA-256 only: tokens are stored as their
// SHA-256. Never a hand-written digest; nothing else of OpenSSL is used.
#include <openssl/sha.h>

#endif
