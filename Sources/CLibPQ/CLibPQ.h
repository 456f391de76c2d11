#ifndef TROUPE_CLIBPQ_H
#define TROUPE_CLIBPQ_H

// The system's libpq (Debian: libpq-dev). Debian installs its headers in
// /usr/include/postgresql, which is not on the default include path; naming the folder here
// avoids compiler flags in Package.swift. libpq-fe.h includes its siblings with quotes, so
// they resolve next to it. Other systems (Homebrew, source builds) put libpq-fe.h directly on
// the include path.
#if __has_include(<postgresql/libpq-fe.h>)
#include <postgresql/libpq-fe.h>
#else
#include <libpq-fe.h>
#endif

#endif
