/* The mock's demo credentials (engagelab_mock::DEFAULT_APP_KEY and
 * DEFAULT_MASTER_SECRET), for the C and C++ suites: one definition instead of
 * the string retyped in every test. */
#ifndef EL_TEST_CREDENTIALS_H
#define EL_TEST_CREDENTIALS_H

#define EL_TEST_APP_KEY "demo-app-key"
#define EL_TEST_MASTER_SECRET "demo-master-secret"

#endif
