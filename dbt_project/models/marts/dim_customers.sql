with

customers as (

    {{ union_vendor_entity('customers') }}

),

customer_policies as (

    select * from {{ ref('stg_policy__customer_policies') }}

),

final as (

    select
        {{ surrogate_key(['customers.vendor', 'customers.vendor_customer_id']) }} as customer_key,
        customers.vendor,
        customers.vendor_customer_id,
        customers.external_id,
        customers.utility,
        customers.city,
        customers.state,
        customers.zipcode,
        customers.has_filled_credentials,
        customers.credentials_filled_at,
        customers.terms_accepted_at,
        customers.bills_are_ready,
        customers.intervals_are_ready,
        customer_policies.linked_at,
        customer_policies.link_source,
        customer_policies.history_policy,
        customer_policies.continuous_policy,
        customer_policies.policy_sha256,
        customer_policies.vendor_customer_id is not null as has_policy,
        customers.extracted_at as last_extracted_at
    from customers
    left join customer_policies
        on customers.vendor = customer_policies.vendor
        and customers.vendor_customer_id = customer_policies.vendor_customer_id

)

select * from final
