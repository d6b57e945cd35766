"""nbgrader settings of every user's server on the course hub (JUPYTER_CONFIG_PATH points here).

The exchange is a folder on this server (``CLASS_EXCHANGE_ROOT``, laid out by
``setup_course.py``); submissions and feedback are private (``../course_exchange.py``).
An instructor's course folder (``~/<course>/``, a clone of the course) has its own
nbgrader_config.py with the folders and the gradebook; nbgrader reads both.
"""
import os
import sys

c = get_config()  # noqa: F821 - provided by traitlets

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # course_exchange

c.CourseDirectory.course_id = os.environ.get("CLASS_COURSE_ID", "concurrency-1")
c.Exchange.root = os.environ.get("CLASS_EXCHANGE_ROOT", "/srv/nbgrader/exchange")
c.ExchangeFactory.submit = "course_exchange.PrivateSubmit"
c.ExchangeFactory.release_feedback = "course_exchange.PrivateReleaseFeedback"
c.ExchangeFactory.fetch_feedback = "course_exchange.PrivateFetchFeedback"
c.ExchangeFactory.collect = "course_exchange.OwnerCheckedCollect"  # skips folders made in another's name
