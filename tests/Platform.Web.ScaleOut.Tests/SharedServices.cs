using Npgsql;

namespace Platform.Web.ScaleOut.Tests;

/// <summary>
/// The real PostgreSQL and Redis the test command starts on loopback (scripts/services). Each use gets
/// a database of its own, so tests assert only on the data they made.
/// </summary>
public static class SharedServices
{
    public static string Postgres => Environment.GetEnvironmentVariable("WEBVM_TEST_POSTGRES")
        ?? throw new InvalidOperationException("WEBVM_TEST_POSTGRES is not set: run ./test.sh, which starts PostgreSQL and Redis (scripts/services/start-test-services.sh).");

    public static string Redis => Environment.GetEnvironmentVariable("WEBVM_TEST_REDIS")
        ?? throw new InvalidOperationException("WEBVM_TEST_REDIS is not set: run ./test.sh, which starts PostgreSQL and Redis (scripts/services/start-test-services.sh).");

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public static async Task<string> NewDatabaseAsync()
    {
        var name = "webvm_test_" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = new NpgsqlConnection(Postgres);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await create.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(Postgres) { Database = name }.ConnectionString;
    }
}
