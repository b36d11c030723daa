#ifndef CALPORT_CLIBICAL_SHIM_H
#define CALPORT_CLIBICAL_SHIM_H

#include <libical/ical.h>

/* `icalerrno` is a macro over a thread-local accessor; Swift cannot see macros. */
static inline icalerrorenum calport_icalerrno(void) { return icalerrno; }
static inline void calport_icalerrno_clear(void) { icalerrno = ICAL_NO_ERROR; }

#endif
