/* lathe — a bin that keeps its child's drawing as an image.
 *
 * Why. GTK 4.8's software renderer (cairo, the one a machine without a GPU
 * uses) visits every node of the window at every frame, inside the damaged
 * area or not. The meters change thirty times a second, so the hundreds of
 * knobs, labels and buttons of the chain were drawn again at every frame:
 * most of the window's cost. Inside a LatheCache they are drawn once,
 * when one of them changes (GTK asks the bin to draw again only then), and
 * a frame paints one image instead.
 *
 * Put what changes seldom (controls) inside one; keep what moves at the
 * display rate (meters) outside, or the whole bin is drawn again at every
 * frame.
 *
 * Threads. The main loop only.
 */
#ifndef LATHE_UI_CACHE_H
#define LATHE_UI_CACHE_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define LATHE_TYPE_CACHE (lathe_cache_get_type())
G_DECLARE_FINAL_TYPE(LatheCache, lathe_cache, LATHE, CACHE, GtkWidget)

/* A bin around child (it takes the floating reference, as a container). */
GtkWidget *lathe_cache_new(GtkWidget *child);

/* The same for part of a widget's drawing (a plot's grid, a curve that
 * moves only when a control does): node drawn once into an image of
 * width x height at the widget's scale (NULL if node is), and that image
 * appended to a snapshot at (0, 0) (nothing if NULL). */
cairo_surface_t *lathe_cache_render(GskRenderNode *node, int width, int height, int scale);
void lathe_cache_append(GtkSnapshot *snapshot, cairo_surface_t *image, int width, int height);

/* How many times the bin drew its child (for its test). */
guint lathe_cache_renders(LatheCache *cache);

G_END_DECLS

#endif
