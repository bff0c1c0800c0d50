using System.Collections.Concurrent;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace LoadGen;

/// <summary>
/// A class of students in the demo course. The accounts are copies of the seeded demo student's row
/// (same password hash, so the same password) written straight into the portal's SQLite file:
/// creating 2000 accounts through the UI would take longer than the benchmark. Each then signs in
/// through the real login form, so every student has a session of their own.
/// </summary>
public sealed partial class ClassRoster(string database, Uri portal, string password)
{
    public Guid AssignmentId { get; private set; }

    public List<string> Cookies { get; } = [];

    public async Task CreateAsync(int size)
    {
        await using var db = new SqliteConnection($"Data Source={database}");
        await db.OpenAsync();
        // The portal seeds the demo school just after it starts listening: wait for its course.
        for (var wait = 0; await Scalar(db, "SELECT Id FROM Assignments ORDER BY Slug LIMIT 1") is not string; wait++)
        {
            if (wait == 240)
                throw new TimeoutException("The demo course was never seeded.");
            await Task.Delay(500);
        }
        AssignmentId = Guid.Parse((string)(await Scalar(db, "SELECT Id FROM Assignments ORDER BY Slug LIMIT 1"))!);
        var template = (string)(await Scalar(db, "SELECT Id FROM AspNetUsers WHERE NormalizedEmail = 'STUDENT@DEMO.TEST'"))!;
        // Seeding enrolls the demo people after it imports the course: wait for the student's enrollment too.
        while ((long)(await Scalar(db, $"SELECT COUNT(*) FROM Enrollments WHERE UserId = '{template}'"))! == 0)
            await Task.Delay(500);
        var userColumns = await ColumnsAsync(db, "AspNetUsers");
        var enrollmentColumns = await ColumnsAsync(db, "Enrollments");
        await using var transaction = (SqliteTransaction)await db.BeginTransactionAsync();
        for (var i = 0; i < size; i++)
        {
            var id = Guid.NewGuid().ToString().ToUpperInvariant();
            var email = Email(i);
            var overrides = new Dictionary<string, string>
            {
                ["Id"] = "$id", ["UserName"] = "$email", ["NormalizedUserName"] = "upper($email)", ["Email"] = "$email",
                ["NormalizedEmail"] = "upper($email)", ["DisplayName"] = "$name", ["SecurityStamp"] = "$stamp", ["ConcurrencyStamp"] = "$stamp",
            };
            await Execute(db, transaction, $"INSERT INTO AspNetUsers ({string.Join(",", userColumns)}) SELECT {Select(userColumns, overrides)} FROM AspNetUsers WHERE Id = $template",
                ("$id", id), ("$email", email), ("$name", $"Load Student {i}"), ("$stamp", Guid.NewGuid().ToString("N")), ("$template", template));
            await Execute(db, transaction, $"INSERT INTO Enrollments ({string.Join(",", enrollmentColumns)}) SELECT {Select(enrollmentColumns, new() { ["Id"] = "$eid", ["UserId"] = "$id" })} FROM Enrollments WHERE UserId = $template",
                ("$eid", Guid.NewGuid().ToString().ToUpperInvariant()), ("$id", id), ("$template", template));
        }
        await transaction.CommitAsync();
    }

    /// <summary>Signs every student in through the login form, a few at a time (password hashing is the cost).</summary>
    public async Task SignInAllAsync(int size, int parallel)
    {
        var cookies = new ConcurrentDictionary<int, string>();
        var done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, size), new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (i, ct) =>
        {
            cookies[i] = await SignInAsync(Email(i), ct);
            if (Interlocked.Increment(ref done) % 250 == 0)
                Console.Error.WriteLine($"load: {done}/{size} students signed in");
        });
        Cookies.AddRange(Enumerable.Range(0, size).Select(i => cookies[i]));
    }

    private async Task<string> SignInAsync(string email, CancellationToken ct)
    {
        var jar = new CookieContainer();
        using var client = new HttpClient(new HttpClientHandler { CookieContainer = jar, AllowAutoRedirect = false }) { BaseAddress = portal };
        var page = await client.GetStringAsync("t/demo/account/login", ct);
        var response = await client.PostAsync("t/demo/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login", ["__RequestVerificationToken"] = Token(page), ["Input.Email"] = email, ["Input.Password"] = password,
        }), ct);
        if (response.StatusCode != HttpStatusCode.Redirect)
            throw new InvalidOperationException($"{email} could not sign in: {(int)response.StatusCode}");
        var session = jar.GetCookies(new Uri(portal, "t/demo/")).Single(c => c.Name == "webvm.session");
        return $"{session.Name}={session.Value}";
    }

    public static string Token(string html) => TokenPattern().Match(html).Groups[1].Value;

    private static string Email(int i) => $"load{i}@demo.test";

    private static string Select(List<string> columns, Dictionary<string, string> overrides) =>
        string.Join(",", columns.Select(c => overrides.TryGetValue(c, out var value) ? value : c));

    private static async Task<List<string>> ColumnsAsync(SqliteConnection db, string table)
    {
        await using var command = new SqliteCommand($"SELECT name FROM pragma_table_info('{table}')", db);
        await using var reader = await command.ExecuteReaderAsync();
        var columns = new List<string>();
        while (await reader.ReadAsync())
            columns.Add(reader.GetString(0));
        return columns;
    }

    private static async Task<object?> Scalar(SqliteConnection db, string sql)
    {
        await using var command = new SqliteCommand(sql, db);
        return await command.ExecuteScalarAsync();
    }

    private static async Task Execute(SqliteConnection db, SqliteTransaction transaction, string sql, params (string Name, string Value)[] parameters)
    {
        await using var command = new SqliteCommand(sql, db, transaction);
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value);
        await command.ExecuteNonQueryAsync();
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
