"""Coaching: the six-week plan (content/plan.yaml), its checks, and the pure day planner."""
from bot.coaching.content import PLAN_PATH, Plan, check_plan, load_plan
from bot.coaching.plan import DayPlan, Step, day_plan, render

__all__ = ["PLAN_PATH", "DayPlan", "Plan", "Step", "check_plan", "day_plan", "load_plan", "render"]
