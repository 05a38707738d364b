using System.Collections;
using System.Collections.Concurrent;
using System.ComponentModel;
using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json.Serialization;
using Parquet.Serialization.Attributes;

namespace CriticBot.Export.Files;

/// <summary>The kinds of values an exported row may hold (the rows' contract: see docs/export.md, "Files").</summary>
internal enum FieldKind
{
    String,
    Boolean,
    Int32,
    Int64,
    Float64,
    Timestamp,
    Struct,
    List,
}

/// <summary>One field of a row as the files see it: its JSON (and Parquet) name, kind and, for structs and lists, what it holds.</summary>
internal sealed record RowField
{
    public required string Name { get; init; }

    public required FieldKind Kind { get; init; }

    public required bool Nullable { get; init; }

    public string? Description { get; init; }

    /// <summary>
    /// For <see cref="FieldKind.Timestamp"/>: the Arrow type a Parquet reader gives the column. Parquet.Net writes a
    /// DateTime as a legacy INT96 (read as <c>timestamp[ns]</c>) unless the property carries
    /// <c>[ParquetTimestamp(..., useLogicalTimestamp: true)]</c>, which writes an INT64 UTC timestamp.
    /// </summary>
    public string? TimestampType { get; init; }

    /// <summary>For <see cref="FieldKind.Struct"/>: its fields.</summary>
    public RowShape? Struct { get; init; }

    /// <summary>For <see cref="FieldKind.List"/>: the element (its <see cref="Name"/> is "element").</summary>
    public RowField? Element { get; init; }

    /// <summary>Reads the property from an instance of the declaring class (reference-typed properties only; null otherwise).</summary>
    internal Func<object, object?>? Getter { get; init; }
}

/// <summary>
/// The fields of a row class, found once by reflection: for the dataset card's schema and features, and to
/// estimate a row's size in memory so Parquet row groups stay within a byte budget.
/// </summary>
internal sealed class RowShape
{
    private static readonly ConcurrentDictionary<Type, RowShape> Shapes = new();

    // For the size estimate, worked out once: the fields whose size varies, and the bytes of the rest.
    private readonly RowField[] _sizedFields;
    private readonly long _fixedBytes;

    private RowShape(IReadOnlyList<RowField> fields)
    {
        Fields = fields;
        _sizedFields = [.. fields.Where(f => f.Kind is FieldKind.String or FieldKind.Struct or FieldKind.List)];
        _fixedBytes = 24 + 8L * (fields.Count - _sizedFields.Length);
    }

    public IReadOnlyList<RowField> Fields { get; }

    public static RowShape Of(Type type) => Shapes.GetOrAdd(type, static t => Build(t, depth: 0));

    /// <summary>Rough bytes the row holds in memory (strings at two bytes a character plus object overheads).</summary>
    public long EstimateBytes(object row)
    {
        // Called for every exported row: an array and a for loop, no enumerator.
        var bytes = _fixedBytes;
        var fields = _sizedFields;
        for (var i = 0; i < fields.Length; i++)
        {
            bytes += EstimateValue(fields[i], fields[i].Getter!(row));
        }

        return bytes;
    }

    private static long EstimateValue(RowField field, object? value) => field.Kind switch
    {
        FieldKind.String => value is string text ? 24 + 2L * text.Length : 8,
        FieldKind.Struct => value is null ? 8 : field.Struct!.EstimateBytes(value),
        FieldKind.List => value is IList list ? EstimateList(field.Element!, list) : 8,
        _ => 8,
    };

    private static long EstimateList(RowField element, IList list)
    {
        long bytes = 32 + 8L * list.Count;
        if (element.Kind is FieldKind.String or FieldKind.Struct or FieldKind.List)
        {
            for (var i = 0; i < list.Count; i++)
            {
                bytes += EstimateValue(element, list[i]);
            }
        }
        else
        {
            bytes += 8L * list.Count;
        }

        return bytes;
    }

    private static RowShape Build(Type type, int depth)
    {
        if (depth > 8)
        {
            throw new NotSupportedException($"{type.Name}: rows nest deeper than 8 levels.");
        }

        var fields = new List<RowField>();
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.GetMethod is null || property.GetCustomAttribute<JsonIgnoreAttribute>() is not null)
            {
                continue;
            }

            var name = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? property.Name;
            var field = Describe(name, property.PropertyType, IsNullableReference(property), depth) with
            {
                TimestampType = TimestampTypeOf(property),
                Description = property.GetCustomAttribute<DescriptionAttribute>()?.Description,
                Getter = property.PropertyType.IsValueType ? null : CompileGetter(type, property),
            };
            fields.Add(field);
        }

        return new RowShape(fields);
    }

    private static RowField Describe(string name, Type type, bool nullableReference, int depth)
    {
        var underlying = System.Nullable.GetUnderlyingType(type);
        var nullable = underlying is not null || nullableReference;
        type = underlying ?? type;
        if (type == typeof(string))
        {
            return new RowField { Name = name, Kind = FieldKind.String, Nullable = nullable };
        }

        if (type == typeof(bool) || type == typeof(int) || type == typeof(long) || type == typeof(double) || type == typeof(DateTime))
        {
            var kind = type == typeof(bool) ? FieldKind.Boolean
                : type == typeof(int) ? FieldKind.Int32
                : type == typeof(long) ? FieldKind.Int64
                : type == typeof(double) ? FieldKind.Float64
                : FieldKind.Timestamp;
            return new RowField { Name = name, Kind = kind, Nullable = nullable };
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            var elementType = type.GetGenericArguments()[0];
            return new RowField
            {
                Name = name, Kind = FieldKind.List, Nullable = nullable,
                Element = Describe("element", elementType, !elementType.IsValueType, depth + 1),
            };
        }

        if (type.IsClass && type.IsSealed)
        {
            return new RowField { Name = name, Kind = FieldKind.Struct, Nullable = nullable, Struct = Build(type, depth + 1) };
        }

        throw new NotSupportedException(
            $"{name}: {type.Name} is not a type exported rows may hold (string, bool, int, long, double, DateTime, their nullables, sealed classes, List<T>).");
    }

    private static string? TimestampTypeOf(PropertyInfo property)
    {
        if ((System.Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType) != typeof(DateTime))
        {
            return null;
        }

        if (property.GetCustomAttribute<ParquetTimestampAttribute>() is not { } timestamp)
        {
            return "timestamp[ns]";
        }

        var unit = timestamp.Resolution == ParquetTimestampResolution.Microseconds ? "us" : "ms";
        return timestamp.UseLogicalTimestamp && !timestamp.IsAdjustedToUTC ? $"timestamp[{unit}]" : $"timestamp[{unit}, tz=UTC]";
    }

    private static bool IsNullableReference(PropertyInfo property) =>
        !property.PropertyType.IsValueType && new NullabilityInfoContext().Create(property).ReadState != NullabilityState.NotNull;

    private static Func<object, object?> CompileGetter(Type type, PropertyInfo property)
    {
        var instance = Expression.Parameter(typeof(object), "row");
        var body = Expression.Convert(Expression.Property(Expression.Convert(instance, type), property), typeof(object));
        return Expression.Lambda<Func<object, object?>>(body, instance).Compile();
    }
}
