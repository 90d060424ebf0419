/* The statistics of A/B tests, pure: which variant is best by a rate, and how surely one
 * variant's proportion differs from another's (a two-proportion z-test). No I/O, no database:
 * tests/unit/test_ab_stats.c checks them against values worked out by hand. */
#ifndef MC_AUTOMATION_AB_STATS_H
#define MC_AUTOMATION_AB_STATS_H

#include <stdbool.h>

/* The two-proportion z-test of x1 successes in n1 trials against x2 in n2, with the pooled
 * proportion p = (x1 + x2) / (n1 + n2): z = (x1/n1 - x2/n2) / sqrt(p (1 - p) (1/n1 + 1/n2)),
 * and the two-sided p-value 2 (1 - Phi(|z|)) = erfc(|z| / sqrt 2). When both proportions are
 * 0 or both 1 (no variance), z is 0 and the p-value 1. returns false, with nothing set, when
 * n1 or n2 is 0 or a count is out of range (x < 0 or x > n). */
bool ab_two_proportion(long long x1, long long n1, long long x2, long long n2, double *z,
                       double *p_value);

/* returns the index of the largest rate amount[i] / base[i] among count (a rate with base 0
 * is 0); on a tie, the lower index. Rates are compared as cross products, so that equal
 * fractions (3/60 and 1/20) tie exactly. count >= 1. */
int ab_best_rate(const double *amount, const long long *base, int count);

#endif
