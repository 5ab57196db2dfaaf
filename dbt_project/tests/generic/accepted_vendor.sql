{#- Fails for every row whose vendor is not listed in var `utility_vendors`. -#}
{% test accepted_vendor(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is null
   or {{ column_name }} not in (
    {%- for vendor in configured_vendors() -%}
        '{{ vendor }}'{% if not loop.last %}, {% endif %}
    {%- endfor -%}
)
{% endtest %}
