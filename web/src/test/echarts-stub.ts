import { defineComponent, h, type PropType } from 'vue'

/**
 * Stands in for vue-echarts in component specs (jsdom has no canvas): renders the option it
 * was given as data attributes, so a spec can check the series and the theme.
 */
export const EChartsStub = defineComponent({
  name: 'VChartStub',
  props: {
    option: { type: Object as PropType<Record<string, unknown>>, default: () => ({}) },
    theme: { type: [String, Object], default: undefined },
    autoresize: { type: Boolean, default: false },
  },
  setup(props) {
    return () =>
      h('div', {
        'data-testid': 'echarts',
        'data-theme': String(props.theme),
        'data-autoresize': String(props.autoresize),
        'data-series': JSON.stringify(
          ((props.option.series ?? []) as { name?: string; data?: unknown[] }[]).map((s) => ({
            name: s.name,
            data: s.data,
          })),
        ),
      })
  },
})
