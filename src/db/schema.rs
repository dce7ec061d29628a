// The record schema, mirroring migrations/sqlite and migrations/postgres.
// tests/it/schema.rs checks that every table and column named here exists on both engines.

diesel::table! {
    teams (id) {
        id -> Text,
        name -> Text,
        created_at -> Timestamp,
        archived_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        display_name -> Text,
        role -> Text,
        password_hash -> Text,
        phone -> Nullable<Text>,
        active -> Bool,
        password_change_required -> Bool,
        auth_version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deactivated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    team_members (team_id, user_id) {
        team_id -> Text,
        user_id -> Text,
        added_at -> Timestamp,
    }
}

diesel::table! {
    reference_counters (scope) {
        scope -> Text,
        last_value -> BigInt,
    }
}

diesel::table! {
    cases (id) {
        id -> Text,
        reference -> Text,
        team_id -> Text,
        deceased_name -> Text,
        date_of_death -> Date,
        circumstances -> Text,
        status -> Text,
        needs_language -> Nullable<Text>,
        needs_interpreter -> Bool,
        needs_accessibility -> Nullable<Text>,
        needs_faith_culture -> Nullable<Text>,
        needs_other -> Nullable<Text>,
        opened_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        first_contact_at -> Nullable<Timestamp>,
        last_contact_at -> Nullable<Timestamp>,
        created_by -> Text,
        updated_at -> Timestamp,
        version -> BigInt,
        case_type -> Text,
        milestone -> Text,
    }
}

diesel::table! {
    case_status_changes (id) {
        id -> Text,
        case_id -> Text,
        status -> Text,
        reason -> Text,
        changed_by -> Text,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    case_links (id) {
        id -> Text,
        case_id_a -> Text,
        case_id_b -> Text,
        reason -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        removed_at -> Nullable<Timestamp>,
        removed_by -> Nullable<Text>,
        removal_reason -> Nullable<Text>,
    }
}

diesel::table! {
    case_updates (id) {
        id -> Text,
        case_id -> Text,
        title -> Text,
        body -> Text,
        shared_with_family -> Bool,
        key_event -> Bool,
        link_batch_id -> Nullable<Text>,
        posted_by -> Text,
        posted_at -> Timestamp,
        milestone -> Nullable<Text>,
    }
}

diesel::table! {
    case_milestones (id) {
        id -> Text,
        case_id -> Text,
        milestone -> Text,
        state -> Text,
        reached_on -> Nullable<Date>,
        reason -> Nullable<Text>,
        update_id -> Nullable<Text>,
        mapped_from -> Nullable<Text>,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    operations (id) {
        id -> Text,
        name -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        merged_into -> Nullable<Text>,
        merged_by -> Nullable<Text>,
        merged_at -> Nullable<Timestamp>,
        merge_reason -> Nullable<Text>,
    }
}

diesel::table! {
    operation_cases (id) {
        id -> Text,
        operation_id -> Text,
        case_id -> Text,
        reason -> Text,
        added_by -> Text,
        added_at -> Timestamp,
        removed_at -> Nullable<Timestamp>,
        removed_by -> Nullable<Text>,
        removal_reason -> Nullable<Text>,
    }
}

diesel::table! {
    agency_contacts (id) {
        id -> Text,
        case_id -> Text,
        name -> Text,
        organisation -> Text,
        role -> Text,
        role_detail -> Nullable<Text>,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        hours -> Nullable<Text>,
        shared_with_family -> Bool,
        family_group_id -> Nullable<Text>,
        added_by -> Text,
        added_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
        ended_by -> Nullable<Text>,
        end_reason -> Nullable<Text>,
    }
}

diesel::table! {
    referrals (id) {
        id -> Text,
        case_id -> Text,
        relative_id -> Text,
        organisation -> Text,
        offered_on -> Date,
        outcome -> Text,
        consent -> Bool,
        note -> Nullable<Text>,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    entitlements (id) {
        id -> Text,
        case_id -> Text,
        relative_id -> Text,
        entitlement -> Text,
        met_on -> Date,
        note -> Nullable<Text>,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    case_type_changes (id) {
        id -> Text,
        case_id -> Text,
        previous_type -> Text,
        case_type -> Text,
        reason -> Text,
        changed_by -> Text,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    case_stage_history (id) {
        id -> Text,
        case_id -> Text,
        stage -> Text,
        reached_at -> Timestamp,
        update_id -> Nullable<Text>,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    exit_plans (id) {
        id -> Text,
        case_id -> Text,
        how_liaison_ends -> Text,
        contact_afterwards -> Text,
        how_to_reactivate -> Text,
        update_id -> Nullable<Text>,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    contact_plans (id) {
        id -> Text,
        case_id -> Text,
        interval_hours -> Integer,
        preferred_channel -> Text,
        preferred_hours -> Text,
        agreed_on -> Date,
        reason -> Text,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    contact_plan_lapses (id) {
        id -> Text,
        case_id -> Text,
        contact_plan_id -> Text,
        gap_from -> Timestamp,
        gap_to -> Nullable<Timestamp>,
        explanation -> Text,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    assignments (id) {
        id -> Text,
        case_id -> Text,
        user_id -> Text,
        role -> Text,
        starts_at -> Timestamp,
        ends_at -> Nullable<Timestamp>,
        visible_to_family -> Bool,
        contact_phone -> Nullable<Text>,
        contact_email -> Nullable<Text>,
        working_hours -> Text,
        cover_user_id -> Nullable<Text>,
        cover_note -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        ended_by -> Nullable<Text>,
        end_reason -> Nullable<Text>,
        family_group_id -> Nullable<Text>,
    }
}

diesel::table! {
    relatives (id) {
        id -> Text,
        case_id -> Text,
        full_name -> Text,
        relationship -> Text,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        address -> Nullable<Text>,
        preferred_channel -> Text,
        language -> Text,
        point_of_contact -> Bool,
        access_state -> Text,
        suspended_reason -> Nullable<Text>,
        suspended_at -> Nullable<Timestamp>,
        suspended_by -> Nullable<Text>,
        notify_by_email -> Bool,
        quiet_hours_start -> Nullable<Text>,
        quiet_hours_end -> Nullable<Text>,
        auth_version -> BigInt,
        version -> BigInt,
        last_seen_at -> Nullable<Timestamp>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        family_group_id -> Nullable<Text>,
        restricted_at -> Nullable<Timestamp>,
        restricted_by -> Nullable<Text>,
        discreet_notices -> Bool,
    }
}

diesel::table! {
    relative_versions (id) {
        id -> Text,
        relative_id -> Text,
        version -> BigInt,
        snapshot -> Text,
        changed_by -> Nullable<Text>,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    contacts (id) {
        id -> Text,
        case_id -> Text,
        occurred_at -> Timestamp,
        officer_id -> Text,
        channel -> Text,
        direction -> Text,
        duration_minutes -> Nullable<Integer>,
        discussion -> Text,
        family_summary -> Nullable<Text>,
        agreed_actions -> Nullable<Text>,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    contact_relatives (contact_id, relative_id) {
        contact_id -> Text,
        relative_id -> Text,
    }
}

diesel::table! {
    contact_amendments (id) {
        id -> Text,
        contact_id -> Text,
        case_id -> Text,
        reason -> Text,
        occurred_at -> Nullable<Timestamp>,
        channel -> Nullable<Text>,
        direction -> Nullable<Text>,
        duration_minutes -> Nullable<Integer>,
        discussion -> Nullable<Text>,
        family_summary -> Nullable<Text>,
        agreed_actions -> Nullable<Text>,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    follow_ups (id) {
        id -> Text,
        case_id -> Text,
        purpose -> Text,
        assignee_id -> Text,
        due_at -> Timestamp,
        relative_id -> Nullable<Text>,
        is_appointment -> Bool,
        place -> Nullable<Text>,
        status -> Text,
        source_contact_id -> Nullable<Text>,
        completed_at -> Nullable<Timestamp>,
        completed_by -> Nullable<Text>,
        completed_contact_id -> Nullable<Text>,
        cancelled_at -> Nullable<Timestamp>,
        cancelled_by -> Nullable<Text>,
        cancel_reason -> Nullable<Text>,
        reminder_at -> Nullable<Timestamp>,
        escalation_at -> Nullable<Timestamp>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
        family_group_id -> Nullable<Text>,
        family_title -> Nullable<Text>,
        family_note -> Nullable<Text>,
    }
}

diesel::table! {
    follow_up_events (id) {
        id -> Text,
        follow_up_id -> Text,
        case_id -> Text,
        event -> Text,
        detail -> Text,
        actor_id -> Text,
        occurred_at -> Timestamp,
    }
}

diesel::table! {
    update_reads (update_id, relative_id) {
        update_id -> Text,
        relative_id -> Text,
        first_read_at -> Timestamp,
    }
}

diesel::table! {
    messages (id) {
        id -> Text,
        case_id -> Text,
        from_relative_id -> Nullable<Text>,
        from_user_id -> Nullable<Text>,
        category -> Nullable<Text>,
        body -> Text,
        in_reply_to -> Nullable<Text>,
        sent_at -> Timestamp,
        acknowledged_at -> Nullable<Timestamp>,
        acknowledged_by -> Nullable<Text>,
        answered_at -> Nullable<Timestamp>,
        answered_by -> Nullable<Text>,
        answer_message_id -> Nullable<Text>,
        closed_at -> Nullable<Timestamp>,
        closed_by -> Nullable<Text>,
        closing_response -> Nullable<Text>,
        family_group_id -> Nullable<Text>,
    }
}

diesel::table! {
    message_reads (message_id, relative_id) {
        message_id -> Text,
        relative_id -> Text,
        first_read_at -> Timestamp,
    }
}

diesel::table! {
    property_items (id) {
        id -> Text,
        case_id -> Text,
        description -> Text,
        status -> Text,
        held_since -> Nullable<Date>,
        released_on -> Nullable<Date>,
        returned_on -> Nullable<Date>,
        received_by -> Nullable<Text>,
        staff_notes -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    property_events (id) {
        id -> Text,
        item_id -> Text,
        case_id -> Text,
        status -> Text,
        occurred_on -> Date,
        received_by -> Nullable<Text>,
        note -> Nullable<Text>,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        dedup_key -> Text,
        kind -> Text,
        channel -> Text,
        recipient_user_id -> Nullable<Text>,
        recipient_relative_id -> Nullable<Text>,
        case_id -> Nullable<Text>,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        read_at -> Nullable<Timestamp>,
        merged_into -> Nullable<Text>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        occurred_at -> Timestamp,
        actor_kind -> Text,
        actor_id -> Nullable<Text>,
        action -> Text,
        outcome -> Text,
        record_kind -> Nullable<Text>,
        record_id -> Nullable<Text>,
        case_id -> Nullable<Text>,
        ip -> Nullable<Text>,
        detail -> Text,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        principal_kind -> Text,
        user_id -> Nullable<Text>,
        relative_id -> Nullable<Text>,
        client -> Text,
        persistent -> Bool,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        revoked_reason -> Nullable<Text>,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        shared_device -> Bool,
    }
}

diesel::table! {
    sign_in_tokens (id) {
        id -> Text,
        token_hash -> Text,
        purpose -> Text,
        relative_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_by -> Nullable<Text>,
        requested_ip -> Nullable<Text>,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
        updated_at -> Timestamp,
        updated_by -> Nullable<Text>,
    }
}

diesel::table! {
    setting_changes (id) {
        id -> Text,
        key -> Text,
        old_value -> Nullable<Text>,
        new_value -> Text,
        effective_from -> Timestamp,
        changed_by -> Nullable<Text>,
    }
}

diesel::table! {
    bank_holidays (holiday_on) {
        holiday_on -> Date,
        name -> Text,
    }
}

diesel::table! {
    rate_limits (bucket) {
        bucket -> Text,
        window_start -> Timestamp,
        hits -> Integer,
    }
}

diesel::table! {
    view_changes (scope) {
        scope -> Text,
        version -> BigInt,
        changed_ms -> BigInt,
    }
}

diesel::table! {
    family_groups (id) {
        id -> Text,
        case_id -> Text,
        name -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    update_groups (update_id, family_group_id) {
        update_id -> Text,
        family_group_id -> Text,
        case_id -> Text,
    }
}

diesel::table! {
    relative_restrictions (id) {
        id -> Text,
        relative_id -> Text,
        case_id -> Text,
        restricted -> Bool,
        reason -> Text,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    appointment_answers (id) {
        id -> Text,
        follow_up_id -> Text,
        case_id -> Text,
        relative_id -> Text,
        answer -> Text,
        note -> Nullable<Text>,
        due_at -> Timestamp,
        answered_at -> Timestamp,
    }
}

diesel::table! {
    support_organisations (id) {
        id -> Text,
        name -> Text,
        name_cy -> Nullable<Text>,
        description -> Text,
        description_cy -> Nullable<Text>,
        phone -> Nullable<Text>,
        website -> Nullable<Text>,
        hours -> Nullable<Text>,
        position -> Integer,
        updated_by -> Nullable<Text>,
        updated_at -> Timestamp,
        removed_at -> Nullable<Timestamp>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    teams,
    users,
    team_members,
    reference_counters,
    cases,
    case_status_changes,
    case_links,
    case_updates,
    case_stage_history,
    case_milestones,
    case_type_changes,
    operations,
    operation_cases,
    agency_contacts,
    referrals,
    entitlements,
    exit_plans,
    contact_plans,
    contact_plan_lapses,
    assignments,
    relatives,
    relative_versions,
    contacts,
    contact_relatives,
    contact_amendments,
    follow_ups,
    follow_up_events,
    update_reads,
    messages,
    message_reads,
    property_items,
    property_events,
    notifications,
    audit_events,
    sessions,
    sign_in_tokens,
    settings,
    setting_changes,
    bank_holidays,
    rate_limits,
    view_changes,
    family_groups,
    update_groups,
    relative_restrictions,
    appointment_answers,
    support_organisations,
);
