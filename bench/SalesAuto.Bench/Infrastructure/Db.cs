using System.Globalization;
using Npgsql;

namespace SalesAuto.Bench.Infrastructure;

/// <summary>One-off statements the benchmarks run around the measured work (set-up and checks), each on a connection of its own.</summary>
internal static class Db
{
    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<long> ScalarAsync(string connectionString, string sql) =>
        long.Parse(await TextAsync(connectionString, sql), CultureInfo.InvariantCulture);

    public static async Task<string> TextAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToString(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture)!;
    }
}
