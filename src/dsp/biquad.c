/* lathe — second-order section designs (see biquad.h). */
#include "biquad.h"

#include <complex.h>

/* Normalise a0 to 1. */
static LatheBiquad normalise(double b0, double b1, double b2, double a0, double a1, double a2)
{
	return (LatheBiquad){ b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0 };
}

/* Pre-warped bilinear transform constants for frequency f. */
static void warp(double f, double q, double rate, double *cosw, double *alpha)
{
	double w = 2.0 * M_PI * f / rate;
	*cosw = cos(w);
	*alpha = sin(w) / (2.0 * q);
}

LatheBiquad lathe_biquad_lowpass(double f, double q, double rate)
{
	double c, a;
	warp(f, q, rate, &c, &a);
	return normalise((1.0 - c) / 2.0, 1.0 - c, (1.0 - c) / 2.0, 1.0 + a, -2.0 * c, 1.0 - a);
}

LatheBiquad lathe_biquad_highpass(double f, double q, double rate)
{
	double c, a;
	warp(f, q, rate, &c, &a);
	return normalise((1.0 + c) / 2.0, -(1.0 + c), (1.0 + c) / 2.0, 1.0 + a, -2.0 * c, 1.0 - a);
}

LatheBiquad lathe_biquad_allpass(double f, double q, double rate)
{
	double c, a;
	warp(f, q, rate, &c, &a);
	return normalise(1.0 - a, -2.0 * c, 1.0 + a, 1.0 + a, -2.0 * c, 1.0 - a);
}

LatheBiquad lathe_biquad_bandpass(double f, double q, double rate)
{
	double c, a;
	warp(f, q, rate, &c, &a);
	return normalise(a, 0.0, -a, 1.0 + a, -2.0 * c, 1.0 - a);
}

/* First-order sections: k = tan(pi f / rate). */
LatheBiquad lathe_biquad_lowpass1(double f, double rate)
{
	double k = tan(M_PI * f / rate);
	return normalise(k, k, 0.0, k + 1.0, k - 1.0, 0.0);
}

LatheBiquad lathe_biquad_highpass1(double f, double rate)
{
	double k = tan(M_PI * f / rate);
	return normalise(1.0, -1.0, 0.0, k + 1.0, k - 1.0, 0.0);
}

LatheBiquad lathe_biquad_allpass1(double f, double rate)
{
	double k = tan(M_PI * f / rate);
	return normalise(k - 1.0, k + 1.0, 0.0, k + 1.0, k - 1.0, 0.0);
}

double lathe_butterworth_q(int order, int k)
{
	return 1.0 / (2.0 * cos((2.0 * k + 1.0) * M_PI / (2.0 * order)));
}

double lathe_biquad_magnitude(const LatheBiquad *c, double f, double rate)
{
	double complex z1 = cexp(-I * 2.0 * M_PI * f / rate); /* z^-1 */
	double complex num = c->b0 + c->b1 * z1 + c->b2 * z1 * z1;
	double complex den = 1.0 + c->a1 * z1 + c->a2 * z1 * z1;
	return cabs(num / den);
}
