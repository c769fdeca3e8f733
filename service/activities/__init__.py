"""The association's work (主要任务): activities of the five tasks with their figures,
decision-consulting reports, technology transfers, award nominations and exemplars.

`aggregates` is the one place where the figures are summed, per association and per year,
for the federation's dashboards and the annual report."""
