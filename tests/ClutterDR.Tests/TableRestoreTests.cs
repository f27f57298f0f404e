using ClutterDR.Database;
using ClutterDR.Restore;

namespace ClutterDR.Tests;

/// <summary>Which archive entries belong to which table, from real pg_restore --list / --schema-only output.</summary>
public class ArchiveObjectsTests
{
    // pg_restore 15 output for a Clutter-shaped database with a policy, a trigger, a comment and a grant on reminders.
    private const string List = """
        ;
        ; Archive created at 2026-12-01 15:41:00 UTC
        ;
        2; 3079 16488 EXTENSION - pgcrypto 
        259; 1255 16584 FUNCTION public clutter_words(integer) postgres
        221; 1259 16575 TABLE public backup_audit_log postgres
        218; 1259 16537 TABLE public dumps postgres
        220; 1259 16556 TABLE public reminders postgres
        3438; 0 0 COMMENT public TABLE reminders postgres
        3439; 0 0 ACL public TABLE reminders postgres
        219; 1259 16555 SEQUENCE public reminders_id_seq postgres
        3440; 0 0 SEQUENCE OWNED BY public reminders_id_seq postgres
        217; 1259 16525 TABLE public users postgres
        222; 1259 28208 VIEW public v postgres
        3261; 2604 16559 DEFAULT public reminders id postgres
        3430; 0 16575 TABLE DATA public backup_audit_log postgres
        3427; 0 16537 TABLE DATA public dumps postgres
        3429; 0 16556 TABLE DATA public reminders postgres
        3426; 0 16525 TABLE DATA public users postgres
        3441; 0 0 SEQUENCE SET public reminders_id_seq postgres
        3271; 2606 16548 CONSTRAINT public dumps dumps_pkey postgres
        3274; 2606 16564 CONSTRAINT public reminders reminders_pkey postgres
        3269; 2606 16534 CONSTRAINT public users users_pkey postgres
        3272; 1259 16554 INDEX public dumps_user_created postgres
        3280; 2620 28207 TRIGGER public reminders t1 postgres
        3277; 2606 16549 FK CONSTRAINT public dumps dumps_user_id_fkey postgres
        3278; 2606 16565 FK CONSTRAINT public reminders reminders_dump_id_fkey postgres
        3279; 2606 16570 FK CONSTRAINT public reminders reminders_user_id_fkey postgres
        3425; 3256 28205 POLICY public reminders own postgres
        3424; 0 16556 ROW SECURITY public reminders postgres
        """;

    private const string Schema = """
        --
        -- Name: reminders_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: postgres
        --

        ALTER SEQUENCE public.reminders_id_seq OWNED BY public.reminders.id;

        --
        -- Name: dumps_user_created; Type: INDEX; Schema: public; Owner: postgres
        --

        CREATE INDEX dumps_user_created ON public.dumps USING btree (user_id, created_at DESC);

        --
        -- Name: dumps dumps_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
        --

        ALTER TABLE ONLY public.dumps
            ADD CONSTRAINT dumps_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

        --
        -- Name: reminders reminders_dump_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
        --

        ALTER TABLE ONLY public.reminders
            ADD CONSTRAINT reminders_dump_id_fkey FOREIGN KEY (dump_id) REFERENCES public.dumps(id) ON DELETE SET NULL;

        --
        -- Name: reminders reminders_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
        --

        ALTER TABLE ONLY public.reminders
            ADD CONSTRAINT reminders_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;
        """;

    private static List<string> Tags(ArchiveObjects a, string table) =>
        a.Entries.Where(e => e.Table == ("public", table)).Select(e => $"{e.Desc} {e.Tag}").ToList();

    [Fact]
    public void EveryEntryOfATableIsFoundAndNothingElse()
    {
        var a = ArchiveObjects.Parse(List, Schema);
        Assert.Equal(new[] { "backup_audit_log", "dumps", "reminders", "users" }, a.Tables.Select(t => t.Name).Order());
        Assert.Equal(new[]
        {
            "TABLE reminders", "COMMENT TABLE reminders", "ACL TABLE reminders", "SEQUENCE reminders_id_seq", "SEQUENCE OWNED BY reminders_id_seq",
            "DEFAULT reminders id", "TABLE DATA reminders", "SEQUENCE SET reminders_id_seq", "CONSTRAINT reminders reminders_pkey",
            "TRIGGER reminders t1", "FK CONSTRAINT reminders reminders_dump_id_fkey", "FK CONSTRAINT reminders reminders_user_id_fkey",
            "POLICY reminders own", "ROW SECURITY reminders",
        }, Tags(a, "reminders"));
        Assert.Equal(new[] { "TABLE dumps", "TABLE DATA dumps", "CONSTRAINT dumps dumps_pkey", "INDEX dumps_user_created", "FK CONSTRAINT dumps dumps_user_id_fkey" }, Tags(a, "dumps"));
        Assert.Equal(("public", "users"), a.Entries.Single(e => e.Tag == "dumps dumps_user_id_fkey").References);
        Assert.DoesNotContain(a.Entries, e => e.Desc is "VIEW" or "FUNCTION" or "EXTENSION" && e.Table is not null);
    }

    [Fact]
    public void MultiWordTypesAndQuotedNamesAreRead()
    {
        var e = ArchiveObjects.ParseLine("3441; 0 0 SEQUENCE SET public reminders_id_seq postgres")!;
        Assert.Equal(("SEQUENCE SET", "public", "reminders_id_seq"), (e.Desc, e.Schema, e.Tag));
        e = ArchiveObjects.ParseLine("2; 3079 16488 EXTENSION - pgcrypto ")!;
        Assert.Equal(("EXTENSION", "-", "pgcrypto"), (e.Desc, e.Schema, e.Tag));
        Assert.Null(ArchiveObjects.ParseLine("; Archive created at 2026-12-01"));
        Assert.Equal(("My Schema", "a.\"b"), ArchiveObjects.QualifiedName("\"My Schema\".\"a.\"\"b\""));
    }

    [Fact]
    public void NamesWithSpacesAreTakenFromTheSqlHeaders()
    {
        const string list = "216; 1259 16390 TABLE Odd Schema Mixed Name postgres\n3406; 0 16401 TABLE DATA Odd Schema Mixed Name postgres\n";
        const string sql = "--\n-- Name: Mixed Name; Type: TABLE; Schema: Odd Schema; Owner: postgres\n--\n\nCREATE TABLE \"Odd Schema\".\"Mixed Name\" (id integer);\n";
        var a = ArchiveObjects.Parse(list, sql);
        Assert.Equal(("Odd Schema", "Mixed Name"), Assert.Single(a.Tables));
        Assert.All(a.Entries, e => Assert.Equal(("Odd Schema", "Mixed Name"), e.Table));
    }

    [Fact]
    public void WholeTablesTakeForeignKeysOnlyWhereBothEndsWillBeThere()
    {
        var a = ArchiveObjects.Parse(List, Schema);
        // dumps into an empty database: its key to users cannot come back, and is reported.
        var alone = TableRestorePlan.ForTables(a, new[] { ("public", "dumps") }, new HashSet<(string, string)>());
        Assert.DoesNotContain(alone.ListLines, l => l.Contains("dumps_user_id_fkey"));
        Assert.Contains(alone.Skipped, s => s.Contains("dumps_user_id_fkey") && s.Contains("public.users"));
        Assert.DoesNotContain(alone.ListLines, l => l.Contains("reminders_dump_id_fkey"));
        // dumps into the database that has the others: its own key, and reminders' key to it, come back.
        var there = TableRestorePlan.ForTables(a, new[] { ("public", "dumps") }, new HashSet<(string, string)> { ("public", "users"), ("public", "reminders"), ("public", "dumps") });
        Assert.Contains(there.ListLines, l => l.Contains("dumps_user_id_fkey"));
        Assert.Contains(there.ListLines, l => l.Contains("reminders_dump_id_fkey"));
        Assert.DoesNotContain(there.ListLines, l => l.Contains("reminders_user_id_fkey") || l.Contains("TABLE DATA public reminders"));
        Assert.Empty(there.Skipped);
        // Archive order is kept: a streamed archive cannot be read out of order.
        var ids = there.ListLines.Select(l => List.Split('\n').Select(x => x.Trim()).ToList().IndexOf(l)).ToList();
        Assert.Equal(ids.Order(), ids);
    }

    [Fact]
    public void ATableNotInTheBackupIsTableNotFoundNamingWhatIsThere()
    {
        var a = ArchiveObjects.Parse(List, Schema);
        var e = Assert.Throws<ClutterException>(() => TableRestorePlan.Select(a, new[] { "remindres" }, "b"));
        Assert.Equal("TableNotFound", e.ErrorId);
        Assert.Contains("public.reminders", e.Message);
        Assert.Equal(new[] { ("public", "reminders"), ("public", "users") }, TableRestorePlan.Select(a, new[] { "public.reminders", "users", "reminders" }, "b"));
    }
}

/// <summary>The definition fingerprint: equal for equal tables, different when a key, an index or a policy is missing.</summary>
public class TableDefinitionTests
{
    private const string Sql = """
        create table parent (id int primary key, email text unique);
        create table child (id bigserial primary key, parent_id int references parent(id) on delete cascade, note text not null default 'x');
        create index child_note on child (note);
        alter table child enable row level security;
        create policy mine on child using (parent_id is not null);
        """;

    private static async Task<Dictionary<(string Schema, string Name), string>> ReadAsync(string db)
    {
        await using var c = await PgErrors.OpenAsync(PgConnectionSettings.Parse(TestServers.PgUrl(db)), CancellationToken.None);
        return await TableDefinitions.ReadAsync(c, new[] { new PgRelation("public", "parent", 'r'), new PgRelation("public", "child", 'r') }, CancellationToken.None);
    }

    [Fact]
    public async Task EqualTablesHaveEqualFingerprintsAndEveryPartCounts()
    {
        var a = await TestServers.NewDatabaseAsync(Sql);
        var b = await TestServers.NewDatabaseAsync("set search_path = public, pg_catalog;" + Sql);
        var fa = await ReadAsync(a);
        Assert.Equal(fa, await ReadAsync(b));
        foreach (var damage in new[] { "alter table child drop constraint child_pkey", "drop index child_note", "drop policy mine on child",
                     "alter table child drop constraint child_parent_id_fkey", "alter table child alter note drop default", "alter table child disable row level security" })
        {
            var d = await TestServers.NewDatabaseAsync(Sql + damage + ";");
            var fd = await ReadAsync(d);
            Assert.Equal(fa[("public", "parent")], fd[("public", "parent")]);
            Assert.NotEqual(fa[("public", "child")], fd[("public", "child")]);
        }
    }

    [Fact]
    public void ATableWithoutItsKeysIsNotVerified()
    {
        var v = new TableVerification { Schema = "public", Name = "t", ExpectedRows = 5, ActualRows = 5, ExpectedDefinition = "sha256:a", ActualDefinition = "sha256:b" };
        Assert.False(v.Matches);
        Assert.True(v.RowsMatch);
        var old = new TableVerification { Schema = "public", Name = "t", ExpectedRows = 5, ActualRows = 5, ActualDefinition = "sha256:b" };
        Assert.True(old.Matches); // a manifest from before definitions were recorded: rows only
        Assert.Null(old.DefinitionMatches);
    }
}
