"""nbgrader settings in every user pod of the cluster (deploy/cluster/Dockerfile copies this to
/etc/jupyter/): the exchange is the ngshare service (ngshare-values.yaml)."""
import os

from ngshare_exchange import configureExchange

c = get_config()  # noqa: F821 - provided by traitlets

c.CourseDirectory.course_id = os.environ.get("CLASS_COURSE_ID", "concurrency-1")
configureExchange(c, os.environ.get("NGSHARE_URL", "http://ngshare.course.svc.cluster.local:8080/services/ngshare"))
