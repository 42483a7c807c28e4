/* lathe — chain settings (see settings.h). */
#include "settings.h"

void lathe_settings_default(LatheSettings *s)
{
	for (int i = 0; i < LATHE_CHAIN_PARAM_COUNT; i++)
		s->value[i] = lathe_params[i].def;
	for (int m = 0; m < LATHE_MODULE_COUNT; m++)
		s->order[m] = (LatheModuleId)m;
}

bool lathe_order_valid(const LatheModuleId order[LATHE_MODULE_COUNT])
{
	bool seen[LATHE_MODULE_COUNT] = { false };
	for (int i = 0; i < LATHE_MODULE_COUNT; i++) {
		int m = (int)order[i];
		if (m < 0 || m >= LATHE_MODULE_COUNT || seen[m])
			return false;
		seen[m] = true;
	}
	return true;
}
