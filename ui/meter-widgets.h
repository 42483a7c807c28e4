/* lathe — the console's meter widgets: peak bars, loudness numbers, the
 * spectrum with the EQ curve, and the loudness history.
 *
 * Each is a GtkWidget that draws itself in snapshot from values it was
 * given; none reads the meters itself. The window feeds them from
 * LatheMeters (~20 readings a second) and the canonical state.
 *
 * Threads: main thread only, like all of GTK. Drawing allocates nothing of
 * its own: buffers live in the instance and text is laid out when it
 * changes, in the setters (GTK allocates its render nodes, as it must).
 *
 * Levels are in dB as LatheMeterReading gives them; -INFINITY (nothing
 * measured, or silence) is shown as an empty bar and "-inf" or "—". NaN
 * given as a target or limit means "none".
 */
#ifndef LATHE_METER_WIDGETS_H
#define LATHE_METER_WIDGETS_H

#include <gtk/gtk.h>
#include <stdbool.h>

#include "meter.h"

G_BEGIN_DECLS

/* ---- LatheLevelMeter ---------------------------------------------------------
 * Stereo vertical bars: sample peak (narrow, dimmer) and true peak (wide)
 * per channel, peak-hold ticks, the true-peak hold of each channel as a
 * number above its bars, a dB scale, and a line at the true-peak limit.
 * Whatever is over the limit is red: the part of a bar above the line,
 * a hold tick and a hold number.
 *
 * Ballistics: a bar rises at once to a new reading and falls at
 * LATHE_LEVEL_METER_FALL_DB_S (animated on the frame clock, only while a
 * bar is falling). Holds are the meter's own (LATHE_METER_HOLD_S).
 *
 * Accessible role METER; its value is the higher true-peak hold, and its
 * text reads both channels.
 */
#define LATHE_LEVEL_METER_FALL_DB_S 20.0
/* The scale, bottom to top, in dB. */
#define LATHE_LEVEL_METER_FLOOR_DB -60.0f
#define LATHE_LEVEL_METER_TOP_DB 3.0f

#define LATHE_TYPE_LEVEL_METER (lathe_level_meter_get_type())
G_DECLARE_FINAL_TYPE(LatheLevelMeter, lathe_level_meter, LATHE, LEVEL_METER, GtkWidget)

GtkWidget *lathe_level_meter_new(void);
/* Peaks, holds and the hold numbers from a reading (sample_peak,
 * true_peak, their holds). */
void lathe_level_meter_set_reading(LatheLevelMeter *self, const LatheMeterReading *reading);
/* The true-peak limit in dBTP (the delivery target's); NaN: no line, and
 * red only above 0 dBTP. */
void lathe_level_meter_set_limit(LatheLevelMeter *self, float dbtp);

/* The scale: height of a level as a fraction of the bar (0 at the floor,
 * 1 at the top). Piecewise linear in dB, with most of the height where a
 * master's peaks are:
 *     +3 dB 1.00     0 dB 0.92     -6 dB 0.68 (4 %/dB: -1 and -3 apart)
 *    -20 dB 0.40   -40 dB 0.16   -60 dB 0.00 */
double lathe_level_meter_scale(float db);

/* ---- LatheLoudnessPanel ------------------------------------------------------
 * Momentary, short-term, integrated (LUFS), LRA (LU), PLR (dB) and TP max
 * (dBTP) as large numbers in tabular figures, each with its label and unit,
 * and a correlation bar (-1..+1) with its number. Integrated loudness and
 * TP max are coloured by lathe_loudness_verdict against the delivery
 * target, so that compliance shows at a glance.
 *
 * Accessible role METER; its value is the integrated loudness and its text
 * reads every number.
 */
#define LATHE_TYPE_LOUDNESS_PANEL (lathe_loudness_panel_get_type())
G_DECLARE_FINAL_TYPE(LatheLoudnessPanel, lathe_loudness_panel, LATHE, LOUDNESS_PANEL, GtkWidget)

GtkWidget *lathe_loudness_panel_new(void);
void lathe_loudness_panel_set_reading(LatheLoudnessPanel *self, const LatheMeterReading *reading);
/* The delivery target: integrated loudness in LUFS and the true-peak limit
 * in dBTP; either may be NaN (no target: the number stays neutral). */
void lathe_loudness_panel_set_target(LatheLoudnessPanel *self, float integrated_lufs,
				     float true_peak_dbtp);

typedef enum {
	LATHE_VERDICT_NONE, /* no target, or nothing measured yet: neutral */
	LATHE_VERDICT_OK,   /* green */
	LATHE_VERDICT_LOW,  /* amber: integrated more than 1 LU under the target */
	LATHE_VERDICT_OVER  /* red: integrated more than 1 LU over the target, or
			     * true peak over the limit */
} LatheVerdict;

/* The rule the panel colours by (and the window may reuse):
 *  - integrated loudness: within +-1 LU of the target is OK (delivery
 *    specifications allow +-1 LU: EBU R128 and ATSC A/85 for broadcast, and
 *    streaming services normalise anyway); more than 1 LU above is OVER
 *    (broadcast rejects it, streaming turns it down and its peaks may then
 *    need limiting); more than 1 LU below is LOW (compliant for streaming,
 *    which turns up only as far as the peaks allow, but not on target).
 *  - true peak: above the limit is OVER, at or below it OK. Compared after
 *    rounding to the 0.1 dB shown, so the colour agrees with the number.
 * integrated uses target_lufs; pass NaN for the one not wanted. */
LatheVerdict lathe_loudness_verdict(float integrated, float target_lufs);
LatheVerdict lathe_true_peak_verdict(float true_peak, float limit_dbtp);

/* ---- LatheSpectrumView -------------------------------------------------------
 * Log frequency 20 Hz..20 kHz; two spectra overlaid (the first filled, the
 * second a line: input and output, or A and B), the EQ curve, and a handle
 * per EQ band that the pointer drags (double-click: reset).
 *
 * Vertical scales: the EQ curve and handles on +-LATHE_SPECTRUM_EQ_RANGE_DB
 * (0 dB at mid-height, labels on the right), the spectra from 0 dB at the
 * top down to -LATHE_SPECTRUM_RANGE_DB (labels on the left); the grid lines
 * are shared: every 6 dB of EQ is 12 dB of spectrum.
 *
 * Signals:
 *   "band-moved" (guint band, gdouble freq, gdouble gain_db): while a handle
 *     is dragged, on every pointer motion; band 0..7 is /eq/(band+1)/, freq
 *     and gain clamped to the registry's ranges of /eq/N/freq and
 *     /eq/N/gain. The handle follows the pointer at once, and set_band
 *     calls for the band being dragged do not move it until it is let go.
 *   "band-released" (guint band): the drag is over (one undo step can
 *     cover every band-moved before it).
 *   "band-reset" (guint band): a double-click on a handle.
 *
 * Accessible role IMG with a label; the handles are not focusable (the
 * band controls elsewhere in the window are the accessible way to set
 * them).
 */
#define LATHE_SPECTRUM_EQ_RANGE_DB 24.0f
#define LATHE_SPECTRUM_RANGE_DB 96.0f
#define LATHE_SPECTRUM_BANDS 8
#define LATHE_SPECTRUM_MIN_HZ 20.0
#define LATHE_SPECTRUM_MAX_HZ 20000.0

#define LATHE_TYPE_SPECTRUM_VIEW (lathe_spectrum_view_get_type())
G_DECLARE_FINAL_TYPE(LatheSpectrumView, lathe_spectrum_view, LATHE, SPECTRUM_VIEW, GtkWidget)

GtkWidget *lathe_spectrum_view_new(void);
/* Spectrum `which` (0 or 1) in dB at the points of lathe_meter_spectrum_freq,
 * as lathe_meter_spectrum gives it; NULL hides it. */
void lathe_spectrum_view_set_spectrum(LatheSpectrumView *self, int which,
				      const float db[LATHE_SPECTRUM_POINTS]);
/* The legend's names of spectrum 0 and 1 ("input", "output"); NULL: none. */
void lathe_spectrum_view_set_spectrum_labels(LatheSpectrumView *self, const char *first,
					     const char *second);
/* The EQ's response in dB at the same points (lathe_spectrum_eq_curve);
 * NULL hides it. */
void lathe_spectrum_view_set_eq_curve(LatheSpectrumView *self,
				      const float db[LATHE_SPECTRUM_POINTS]);
/* Whether the EQ module is switched in: when not, the curve and handles are
 * drawn dimmed (still draggable). Default true. */
void lathe_spectrum_view_set_eq_active(LatheSpectrumView *self, bool active);
/* Band 0..7's handle: drawn at (freq, gain_db), filled when enabled,
 * hollow when not. A band never set has no handle. */
void lathe_spectrum_view_set_band(LatheSpectrumView *self, int band, bool enabled, double freq,
				  double gain_db);
/* Where the plot is inside the widget (widget coordinates), for overlays
 * and tests. */
void lathe_spectrum_view_get_plot_area(LatheSpectrumView *self, graphene_rect_t *area);

/* The EQ curve for a chain's settings (LatheSettings.value, indexed by
 * registry id; the EQ's enable and mode are ignored) at the sample rate,
 * in dB at the points of lathe_meter_spectrum_freq: the power response
 * lathe_eq_magnitude gives, summed over both inputs and averaged over both
 * outputs, i.e. what a wide (uncorrelated) stereo signal gets on average.
 * With stereo bands that is simply each band's magnitude; a band on one
 * side (L, R, M or S) shows at about half its dB. Pure computation, about
 * a thousand lathe_eq_magnitude calls. */
void lathe_spectrum_eq_curve(const float *chain_values, double rate,
			     float out[LATHE_SPECTRUM_POINTS]);

/* ---- LatheGainReductionMeter -------------------------------------------------
 * A module's gain reduction: a bar from 0 dB at the left to
 * LATHE_GR_METER_RANGE_DB, and its number (the most since the number was
 * last set, five times a second) on the right. It only redraws: a GTK level
 * bar lays the whole window out again at every new value, which costs more
 * than all the meters' drawing.
 *
 * Accessible role METER; its value is the gain reduction in dB.
 */
#define LATHE_GR_METER_RANGE_DB 20.0f

#define LATHE_TYPE_GAIN_REDUCTION_METER (lathe_gain_reduction_meter_get_type())
G_DECLARE_FINAL_TYPE(LatheGainReductionMeter, lathe_gain_reduction_meter, LATHE,
		     GAIN_REDUCTION_METER, GtkWidget)

GtkWidget *lathe_gain_reduction_meter_new(void);
/* The gain reduction now, in dB (0 or more). */
void lathe_gain_reduction_meter_set(LatheGainReductionMeter *self, float db);

/* ---- LatheHistoryView --------------------------------------------------------
 * Short-term loudness over the last LATHE_HISTORY_SECONDS, one value per
 * second of audio (a fixed ring), newest at the right, against the target
 * line and its +-1 LU band: the curve's fill is green inside the band, red
 * above, blue below. Scale LATHE_HISTORY_TOP_LUFS..LATHE_HISTORY_BOTTOM_LUFS.
 *
 * Accessible role IMG; its description gives the range of the last
 * minutes against the target.
 */
#define LATHE_HISTORY_SECONDS 600
#define LATHE_HISTORY_TOP_LUFS 0.0f
#define LATHE_HISTORY_BOTTOM_LUFS -48.0f

#define LATHE_TYPE_HISTORY_VIEW (lathe_history_view_get_type())
G_DECLARE_FINAL_TYPE(LatheHistoryView, lathe_history_view, LATHE, HISTORY_VIEW, GtkWidget)

GtkWidget *lathe_history_view_new(void);
/* A short-term value at `seconds` of audio (LatheMeterReading.seconds).
 * Values within one second replace each other (the newest stays); seconds
 * skipped are drawn as a gap; seconds going back (a meter reset) start the
 * history afresh. -inf is drawn at the bottom; NaN is a gap. */
void lathe_history_view_push(LatheHistoryView *self, double seconds, float short_term);
/* The target in LUFS; NaN: none. */
void lathe_history_view_set_target(LatheHistoryView *self, float lufs);
void lathe_history_view_clear(LatheHistoryView *self);

G_END_DECLS

#endif
