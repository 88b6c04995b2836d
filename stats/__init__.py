"""Learning statistics: anonymous page-view counting and the organisers' 「学习统计」 dashboard over roll-up tables."""
