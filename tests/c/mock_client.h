/* What the C API tests share beside mock.h: a client of engagelab-mock with
 * the suite's fast backoff, and the clock they time calls with. */
#ifndef EL_TEST_MOCK_CLIENT_H
#define EL_TEST_MOCK_CLIENT_H

#include <engagelab_push.h>
#include <pthread.h>

/* A client of the mock (ENGAGELAB_MOCK_URL) with the file's credentials and a
 * 1 ms to 20 ms backoff; exits the program if it cannot be made. */
el_client *mock_client(void);

/* A monotonic clock, in milliseconds. */
double now_ms(void);

/* Sleeps `ms` milliseconds. */
void sleep_ms(long ms);

/* Starts `thread`, which cancels `token` once the mock has logged one more
 * request than it has now (it logs on arrival, before any scripted delay):
 * the call is then in flight, as a fact rather than after a sleep. Join
 * `thread` after the call. Returns 0, or -1 when it could not start. */
int cancel_once_sent(pthread_t *thread, const el_cancel *token);

#endif
