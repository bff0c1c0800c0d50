using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.SignalR.Client;
using Npgsql;
using Platform.Web.Features.Submissions;

namespace Platform.Web.ScaleOut.Tests;

/// <summary>
/// Two real portal processes on one PostgreSQL, Redis and data folder; one is SIGKILLed while a
/// class's lab machines are uploading to it. Each client does what the lab client does after a
/// dropped connection: connects to the other instance, begins again with the same submission id,
/// sends what the portal does not hold yet, and completes. Nothing is lost and nothing lands twice.
/// </summary>
public sealed class KilledInstanceTests
{
    private const int Uploads = 12;
    private const int ChunkBytes = 256 * 1024;
    private const int ChunksPerUpload = 4;
    private static readonly string[] Students = ["student@demo.test", "ada@demo.test", "linus@demo.test"];

    [Fact]
    public async Task Uploads_InstanceKilledMidway_EveryOneLandsExactlyOnceThroughTheOther()
    {
        var database = await SharedServices.NewDatabaseAsync();
        var data = Directory.CreateTempSubdirectory("webvm-kill-").FullName;
        var doomed = await PortalProcess.StartAsync(database, data, SharedServices.Redis);
        PortalProcess? survivor = null;
        try
        {
            survivor = await PortalProcess.StartAsync(database, data, SharedServices.Redis);
            var assignmentId = await Sql.FirstAssignmentIdAsync(database);
            var cookies = new Dictionary<string, string>();
            foreach (var email in Students)
                cookies[email] = await doomed.SignInAsync(email);

            var chunksAcknowledged = 0;
            var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var interrupted = new ConcurrentBag<string>();
            var receipts = new ConcurrentDictionary<string, SubmissionReceipt>();
            var contents = Enumerable.Range(0, Uploads).Select(_ => RandomNumberGenerator.GetBytes(ChunkBytes * ChunksPerUpload)).ToArray();

            async Task UploadAsync(int index)
            {
                var clientId = $"kill-{index}";
                var content = contents[index];
                var cookie = cookies[Students[index % Students.Length]];
                var manifest = new List<UploadFileManifest> { new("disk.tar", content.Length, Convert.ToHexStringLower(SHA256.HashData(content))) };
                var target = doomed;
                for (var attempt = 0; ; attempt++)
                {
                    Assert.True(attempt < 5, $"{clientId} failed five times");
                    try
                    {
                        await using var hub = await target.ConnectHubAsync(cookie);
                        var state = await hub.InvokeAsync<UploadState>("BeginSubmission", assignmentId, clientId, manifest);
                        if (state.Receipt is { } done)
                        {
                            receipts[clientId] = done;
                            return;
                        }
                        for (var offset = state.ReceivedBytes[0]; offset < content.Length; offset += ChunkBytes)
                        {
                            await hub.InvokeAsync<long>("UploadChunk", state.UploadId, 0, offset, content.AsSpan((int)offset, ChunkBytes).ToArray());
                            if (Interlocked.Increment(ref chunksAcknowledged) >= Uploads)
                                await killed.Task; // half the chunks are in: hold here until the instance is dead
                        }
                        receipts[clientId] = await hub.InvokeAsync<SubmissionReceipt>("CompleteSubmission", state.UploadId);
                        return;
                    }
                    catch (Exception) when (target == doomed)
                    {
                        interrupted.Add(clientId);
                        target = survivor!;
                    }
                }
            }

            var uploads = Enumerable.Range(0, Uploads).Select(i => Task.Run(() => UploadAsync(i))).ToArray();
            while (Volatile.Read(ref chunksAcknowledged) < Uploads)
                await Task.Delay(20);
            await doomed.KillAsync();
            killed.SetResult();
            await Task.WhenAll(uploads).WaitAsync(TimeSpan.FromMinutes(2));

            Assert.True(doomed.HasExited);
            Assert.Equal(Uploads, interrupted.Distinct().Count());
            var stored = await Sql.RowsAsync(database,
                "SELECT s.\"ClientSubmissionId\", s.\"Id\", f.\"Sha256\" FROM \"Submissions\" s JOIN \"SubmissionFile\" f ON f.\"SubmissionId\" = s.\"Id\" WHERE s.\"ClientSubmissionId\" LIKE 'kill-%'",
                r => (ClientId: r.GetString(0), Id: r.GetGuid(1), Sha256: r.GetString(2)));
            Assert.Equal(Uploads, stored.Count);
            for (var i = 0; i < Uploads; i++)
            {
                var row = Assert.Single(stored, s => s.ClientId == $"kill-{i}");
                Assert.Equal(receipts[$"kill-{i}"].SubmissionId, row.Id);
                Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(contents[i])), row.Sha256);
            }
        }
        finally
        {
            await doomed.DisposeAsync();
            if (survivor is not null)
                await survivor.DisposeAsync();
            Directory.Delete(data, recursive: true);
        }
    }
}

/// <summary>Reads the shared database directly, as an operator checking for loss would.</summary>
public static class Sql
{
    /// <summary>A connection of its own each time: a pooled one may be a dead leftover of a restarted server.</summary>
    private static NpgsqlConnection Open(string connectionString) =>
        new(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);

    /// <summary>The demo course's first assignment, once the first instance's seeding has imported it (it runs after the server listens).</summary>
    public static async Task<Guid> FirstAssignmentIdAsync(string connectionString)
    {
        for (var wait = 0; wait < 120; wait++)
        {
            var id = await RowsAsync(connectionString, "SELECT \"Id\" FROM \"Assignments\" ORDER BY \"Slug\" LIMIT 1", r => r.GetGuid(0));
            if (id.Count == 1)
                return id[0];
            await Task.Delay(500);
        }
        throw new TimeoutException("The demo course was never seeded.");
    }

    public static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = Open(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public static async Task<List<T>> RowsAsync<T>(string connectionString, string sql, Func<NpgsqlDataReader, T> read)
    {
        await using var connection = Open(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
            rows.Add(read(reader));
        return rows;
    }
}
