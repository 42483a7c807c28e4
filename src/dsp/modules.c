/* lathe — the table of module classes, in the registry's order. */
#include "module.h"

const LatheModuleClass *const lathe_module_classes[LATHE_MODULE_COUNT] = {
	[LATHE_MODULE_INPUT] = &lathe_input_class,
	[LATHE_MODULE_EQ] = &lathe_eq_class,
	[LATHE_MODULE_COMP] = &lathe_comp_class,
	[LATHE_MODULE_MULTIBAND] = &lathe_multiband_class,
	[LATHE_MODULE_DEESSER] = &lathe_deesser_class,
	[LATHE_MODULE_SATURATE] = &lathe_saturate_class,
	[LATHE_MODULE_IMAGER] = &lathe_imager_class,
	[LATHE_MODULE_LIMITER] = &lathe_limiter_class,
	[LATHE_MODULE_DITHER] = &lathe_dither_class,
};
