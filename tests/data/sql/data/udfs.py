"""A Python UDF for the functions case of scripts/flink_sql.py."""
from pyflink.table import DataTypes
from pyflink.table.udf import udf


@udf(result_type=DataTypes.INT())
def add_one(a):
    return a + 1
