using System.Runtime.InteropServices;
using SQLitePCL;

namespace CriticBot.Storage;

/// <summary>
/// Reads the columns of a stepped SQLite statement by calling e_sqlite3 directly: the same native library
/// SQLitePCLRaw loads for Microsoft.Data.Sqlite (the package's bundle), the same C functions, on the statement
/// SQLitePCLRaw prepared. Through SQLitePCLRaw each read is an interface call, a SafeHandle reference count taken
/// and released, and a GC transition; the export reads about twenty columns of a million rows, and those costs
/// were half its column reading (docs/performance.md, "Export": 3.5 s against 2.0-2.3 s for the same million rows).
/// The reads skip the GC transition (<see cref="SuppressGCTransitionAttribute"/>): each returns at once, from
/// memory SQLite already holds for the current row, and never blocks or calls back; stepping keeps the ordinary call.
/// <see cref="Available"/> is false, and <see cref="SqliteScanReader"/> goes through SQLitePCLRaw, when the process
/// runs SQLite from another library (a different SQLitePCLRaw provider).
/// </summary>
internal static unsafe partial class SqliteColumns
{
    private const string Library = "e_sqlite3";

    public static bool Available { get; } = Probe();

    /// <summary>The column's bytes (text as UTF-8); empty for NULL and for empty text or blobs. Valid until the next step.</summary>
    public static ReadOnlySpan<byte> Bytes(nint statement, int column)
    {
        var pointer = ColumnBlob(statement, column);
        return pointer == 0 ? default : new ReadOnlySpan<byte>((void*)pointer, ColumnBytes(statement, column));
    }

    public static long Int64(nint statement, int column) => ColumnInt64(statement, column);

    public static double Double(nint statement, int column) => ColumnDouble(statement, column);

    public static bool IsNull(nint statement, int column) => ColumnType(statement, column) == raw.SQLITE_NULL;

    private static bool Probe()
    {
        try
        {
            // The same library SQLitePCLRaw uses, and the same build of it.
            return raw.GetNativeLibraryName() == Library && LibraryVersion() == raw.sqlite3_libversion_number();
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }

    [LibraryImport(Library, EntryPoint = "sqlite3_libversion_number")]
    private static partial int LibraryVersion();

    [LibraryImport(Library, EntryPoint = "sqlite3_column_blob")]
    [SuppressGCTransition]
    private static partial nint ColumnBlob(nint statement, int column);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_bytes")]
    [SuppressGCTransition]
    private static partial int ColumnBytes(nint statement, int column);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_int64")]
    [SuppressGCTransition]
    private static partial long ColumnInt64(nint statement, int column);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_double")]
    [SuppressGCTransition]
    private static partial double ColumnDouble(nint statement, int column);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_type")]
    [SuppressGCTransition]
    private static partial int ColumnType(nint statement, int column);
}
