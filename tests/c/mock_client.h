/* What the C API tests share beside mock.h: a client of engagelab-mock with
 * the suite's fast backoff, and the clock they time calls with. */
#ifndef EL_TEST_MOCK_CLIENT_H
#define EL_TEST_MOCK_CLIENT_H

#include <engagelab_push.h>

/* A client of the mock (ENGAGELAB_MOCK_URL) with the file's credentials and a
 * 1 ms to 20 ms backoff; exits the program if it cannot be made. */
el_client *mock_client(void);

/* A monotonic clock, in milliseconds. */
double now_ms(void);

/* Sleeps `ms` milliseconds. */
void sleep_ms(long ms);

/* A pthread start routine: cancels `token` (an el_cancel) after 200 ms. */
void *cancel_later(void *token);

#endif
