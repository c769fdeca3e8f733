"""The provincial federation's work above its associations: categories (分类指导), rollups and
dashboards, guidance with follow-up, problems and supervisors' comments."""
