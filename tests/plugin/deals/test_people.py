"""Who is who: a manager's team, a user's region, partner users (pure)."""
from content_catalog.people_store import RegionMapping, SalesRole, SyncedUser
from plugin.deals.people import OrgPeople

TOP, NA, EMEA, NA_MGR, NA_REP, EMEA_REP, CHANNEL, PARTNER = (
    "r-top", "r-na", "r-emea", "r-na-mgr", "r-na-rep", "r-emea-rep", "r-channel", "r-partner")
ROLES = [SalesRole(TOP, "Worldwide Sales"), SalesRole(NA, "North America", TOP),
         SalesRole(EMEA, "EMEA", TOP), SalesRole(NA_MGR, "NA Manager", NA),
         SalesRole(NA_REP, "NA Rep", NA_MGR), SalesRole(EMEA_REP, "EMEA Rep", EMEA),
         SalesRole(CHANNEL, "NA Channel Manager", NA), SalesRole(PARTNER, "Partner User", CHANNEL)]
USERS = [SyncedUser("vp", "Helen", role_id=TOP), SyncedUser("dana", "Dana", role_id=NA_MGR, manager_id="vp"),
         SyncedUser("sam", "Sam", role_id=NA_REP, manager_id="dana"),
         SyncedUser("chris", "Chris", role_id=NA_REP, manager_id="dana", active=False),
         SyncedUser("lukas", "Lukas", role_id=EMEA_REP, manager_id="vp"),
         SyncedUser("marcus", "Marcus", role_id=CHANNEL, manager_id="vp"),
         SyncedUser("jamie", "Jamie", "PowerPartner", True, role_id=PARTNER, manager_id="marcus",
                    partner_account_id="acct-brightline")]


def people(*mappings: RegionMapping) -> OrgPeople:
    return OrgPeople.build(USERS, ROLES, mappings)


def test_a_team_is_the_managers_direct_and_indirect_reports():
    org = people()
    assert org.team("dana") == {"sam", "chris"}
    assert org.team("dana", active_only=True) == {"sam"}
    assert org.team("vp") == {"dana", "sam", "chris", "lukas", "marcus", "jamie"}
    assert org.team("marcus") == {"jamie"} and org.team("sam") == frozenset()


def test_a_cycle_of_managers_ends_the_walk():
    org = OrgPeople.build([SyncedUser("a", "A", manager_id="b"), SyncedUser("b", "B", manager_id="a")])
    assert org.team("a") == {"b"}


def test_without_a_mapping_the_region_is_the_role_just_below_the_top():
    org = people()
    assert org.region("sam") == "North America" and org.region("lukas") == "EMEA"
    assert org.region("jamie") == "North America"  # partner roles sit under their channel manager's
    assert org.region("vp") is None and org.region("nobody") is None
    assert org.regions() == ["EMEA", "North America"]


def test_a_mapping_of_the_nearest_role_and_of_a_partner_account_comes_first():
    org = people(RegionMapping("role", NA_MGR, "US East"),
                 RegionMapping("partner_account", "acct-brightline", "Partners West"))
    assert org.region("sam") == "US East" and org.region("dana") == "US East"
    assert org.region("marcus") == "North America"
    assert org.region("jamie") == "Partners West"
    assert org.in_region("US East") == {"dana", "sam", "chris"}


def test_a_partner_user_is_known_by_user_type():
    org = people()
    assert org.is_partner("jamie") and not org.is_partner("sam") and not org.is_partner(None)
    assert OrgPeople.build([SyncedUser("p", "P", user_type="PowerPartner")]).is_partner("p")
