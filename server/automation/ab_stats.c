/* A/B statistics (ab_stats.h). */
#include "automation/ab_stats.h"

#include <math.h>

bool ab_two_proportion(long long x1, long long n1, long long x2, long long n2, double *z,
                       double *p_value)
{
    if (n1 <= 0 || n2 <= 0 || x1 < 0 || x2 < 0 || x1 > n1 || x2 > n2) return false;
    double p1 = (double)x1 / (double)n1, p2 = (double)x2 / (double)n2;
    double pooled = (double)(x1 + x2) / (double)(n1 + n2);
    double variance = pooled * (1 - pooled) * (1 / (double)n1 + 1 / (double)n2);
    if (variance <= 0) {
        *z = 0;
        *p_value = 1;
        return true;
    }
    *z = (p1 - p2) / sqrt(variance);
    *p_value = erfc(fabs(*z) / sqrt(2.0));
    return true;
}

/* amount / base as a comparable pair: a rate with no base is 0 over 1 */
static void rate_of(double amount, long long base, double *num, double *den)
{
    *num = base > 0 ? amount : 0;
    *den = base > 0 ? (double)base : 1;
}

int ab_best_rate(const double *amount, const long long *base, int count)
{
    int best = 0;
    for (int i = 1; i < count; i++) {
        double a, b, c, d;
        rate_of(amount[i], base[i], &a, &b);
        rate_of(amount[best], base[best], &c, &d);
        /* a/b > c/d with positive denominators; equal is not better: the lower index wins */
        if (a * d > c * b) best = i;
    }
    return best;
}
