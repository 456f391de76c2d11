#ifndef TROUPE_CSQLITE_H
#define TROUPE_CSQLITE_H

// The system's SQLite (Debian: libsqlite3-dev). Nothing else belongs here: the Swift driver
// in TroupeStore is the only user, and everything it needs beyond sqlite3.h is below.
#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast of -1 to a function pointer, which Swift cannot import as a
// constant. Binding with it makes SQLite copy the bytes before the bind call returns, so
// the Swift buffer only has to live for the duration of that call.
static inline sqlite3_destructor_type csqlite_transient(void) {
    return SQLITE_TRANSIENT;
}

// Extended result codes are macros built with shifts and ors, which Swift does not import.
static const int csqlite_constraint_unique = SQLITE_CONSTRAINT_UNIQUE;
static const int csqlite_constraint_primarykey = SQLITE_CONSTRAINT_PRIMARYKEY;

#endif
