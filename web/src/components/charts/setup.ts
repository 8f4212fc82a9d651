/**
 * The one place ECharts is configured: only the chart types and components the app draws are
 * registered, so the bundle carries no more of ECharts than that. Imported by `base-chart.vue`,
 * which only lazily loaded pages use.
 */
import { BarChart, LineChart } from 'echarts/charts'
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components'
import { use } from 'echarts/core'
import { CanvasRenderer } from 'echarts/renderers'

use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer])
