/* lathe — a bin that keeps its child's drawing as an image (see cache.h). */
#define G_LOG_DOMAIN "lathe-cache"
#include "cache.h"

struct _LatheCache {
	GtkWidget parent_instance;
	GtkWidget *child;
	guint renders;
};

G_DEFINE_FINAL_TYPE(LatheCache, lathe_cache, GTK_TYPE_WIDGET)

static void lathe_cache_measure(GtkWidget *widget, GtkOrientation orientation, int for_size,
				int *minimum, int *natural, int *minimum_baseline,
				int *natural_baseline)
{
	gtk_widget_measure(LATHE_CACHE(widget)->child, orientation, for_size, minimum, natural,
			   minimum_baseline, natural_baseline);
}

static void lathe_cache_size_allocate(GtkWidget *widget, int width, int height, int baseline)
{
	gtk_widget_allocate(LATHE_CACHE(widget)->child, width, height, baseline, NULL);
}

static GtkSizeRequestMode lathe_cache_get_request_mode(GtkWidget *widget)
{
	return gtk_widget_get_request_mode(LATHE_CACHE(widget)->child);
}

/* GTK calls this only when the bin or something inside it asked to be
 * drawn again (its render node is kept otherwise), so every call renders.
 *
 * Into a cairo image surface, painted by a cairo node: GTK 4.8's software
 * renderer copies a texture node's pixels out again at every frame, and
 * replays a cairo node's drawing, so one paint of an image is the cheapest
 * thing it can be given. */
static void lathe_cache_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
	LatheCache *self = LATHE_CACHE(widget);
	int width = gtk_widget_get_width(widget), height = gtk_widget_get_height(widget);
	GtkSnapshot *inner = gtk_snapshot_new();
	gtk_widget_snapshot_child(widget, self->child, inner);
	GskRenderNode *node = gtk_snapshot_free_to_node(inner);
	/* At the screen's scale, so that text stays sharp on a HiDPI display. */
	cairo_surface_t *image = lathe_cache_render(node, width, height,
						    gtk_widget_get_scale_factor(widget));
	g_clear_pointer(&node, gsk_render_node_unref);
	lathe_cache_append(snapshot, image, width, height);
	cairo_surface_destroy(image);
	self->renders++;
}

static void lathe_cache_dispose(GObject *object)
{
	LatheCache *self = LATHE_CACHE(object);
	g_clear_pointer(&self->child, gtk_widget_unparent);
	G_OBJECT_CLASS(lathe_cache_parent_class)->dispose(object);
}

static void lathe_cache_class_init(LatheCacheClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
	G_OBJECT_CLASS(klass)->dispose = lathe_cache_dispose;
	widget_class->get_request_mode = lathe_cache_get_request_mode;
	widget_class->measure = lathe_cache_measure;
	widget_class->size_allocate = lathe_cache_size_allocate;
	widget_class->snapshot = lathe_cache_snapshot;
	gtk_widget_class_set_css_name(widget_class, "lathe-cache");
	/* A wrapper of no meaning of its own to a screen reader. */
	gtk_widget_class_set_accessible_role(widget_class, GTK_ACCESSIBLE_ROLE_GENERIC);
}

static void lathe_cache_init(LatheCache *self) { (void)self; }

GtkWidget *lathe_cache_new(GtkWidget *child)
{
	LatheCache *self = g_object_new(LATHE_TYPE_CACHE, NULL);
	self->child = child;
	gtk_widget_set_parent(child, GTK_WIDGET(self));
	return GTK_WIDGET(self);
}

cairo_surface_t *lathe_cache_render(GskRenderNode *node, int width, int height, int scale)
{
	if (!node || width <= 0 || height <= 0)
		return NULL;
	cairo_surface_t *image = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width * scale,
							    height * scale);
	cairo_surface_set_device_scale(image, scale, scale);
	cairo_t *cr = cairo_create(image);
	gsk_render_node_draw(node, cr);
	cairo_destroy(cr);
	return image;
}

void lathe_cache_append(GtkSnapshot *snapshot, cairo_surface_t *image, int width, int height)
{
	if (!image)
		return;
	cairo_t *cr = gtk_snapshot_append_cairo(snapshot, &GRAPHENE_RECT_INIT(0, 0, width, height));
	cairo_set_source_surface(cr, image, 0, 0);
	cairo_paint(cr);
	cairo_destroy(cr);
}

guint lathe_cache_renders(LatheCache *cache)
{
	return cache->renders;
}
