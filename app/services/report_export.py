"""A periodic report as a file: CSV (UTF-8 with a BOM, so that Excel reads the Vietnamese) and
XLSX laid out as a Vietnamese report table (title with the unit and period, Vietnamese headings,
numbers as numbers, a totals row, a bar chart of received / resolved on time / overdue by unit).
The API and `petitions reports export` write the same bytes (decision 0083)."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import date, datetime

from app.models.reports import (
    ACTIVITY_INDICATORS,
    CASE_INDICATORS,
    FIELD_VI,
    HEADINGS_VI,
    KIND_VI,
    ReportFormat,
    ReportPublic,
    ReportRowPublic,
)

MEDIA_TYPES = {
    ReportFormat.json: "application/json",
    ReportFormat.csv: "text/csv; charset=utf-8",
    ReportFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Fixed document times inside the XLSX, so that the same report gives the same bytes every time.
_FIXED_TIME = datetime(2000, 1, 1)
_STAMP = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")
_ROW_LABEL = {"own": "Tại {name} (không thuộc đơn vị trực thuộc)", "total": "Tổng cộng"}


def filename(report: ReportPublic, fmt: ReportFormat) -> str:
    p = report.period
    tail = "" if p.kind.value in ("nine_months", "year") else f"-{p.index}"
    basis = "-tt" if p.basis.value == "inspectorate" else ""
    return f"bao-cao-{report.unit.code}-{p.year}-{p.kind.value}{tail}{basis}.{fmt.value}"


def _rows(report: ReportPublic) -> list[ReportRowPublic]:
    return [*report.children, report.own, report.total]


def _row_name(row: ReportRowPublic) -> str:
    return _ROW_LABEL.get(row.row, "{name}").format(name=row.unit_name)


def _d(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def title(report: ReportPublic) -> str:
    return f"BÁO CÁO KẾT QUẢ TIẾP NHẬN, XỬ LÝ VÀ GIẢI QUYẾT ĐƠN — {report.unit.name} — {report.period.label}"


def subtitle(report: ReportPublic) -> str:
    p = report.period
    return (
        f"Kỳ báo cáo: từ ngày {_d(p.start)} đến ngày {_d(p.end)}; số liệu tính đến ngày {_d(report.counted_to)}, "
        f"ghi nhận đến sự kiện nhật ký số {report.as_of_seq}"
    )


def to_json(report: ReportPublic) -> bytes:
    return json.dumps(report.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")).encode()


def to_csv(report: ReportPublic) -> bytes:
    """One line per unit row and breakdown (all, each kind, each field); activities on the `all` line."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(
        [
            "Mã đơn vị",
            "Đơn vị",
            "Phân loại",
            *(HEADINGS_VI[n] for n in CASE_INDICATORS),
            *(HEADINGS_VI[n] for n in ACTIVITY_INDICATORS),
        ]
    )
    for row in _rows(report):
        name = _row_name(row)
        w.writerow(
            [
                row.unit_code,
                name,
                "Tất cả",
                *(getattr(row.cases, n) for n in CASE_INDICATORS),
                *(getattr(row.activities, n) for n in ACTIVITY_INDICATORS),
            ]
        )
        for kind, ind in row.by_kind.items():
            w.writerow(
                [
                    row.unit_code,
                    name,
                    f"Loại: {KIND_VI[kind]}",
                    *(getattr(ind, n) for n in CASE_INDICATORS),
                    *([""] * len(ACTIVITY_INDICATORS)),
                ]
            )
        for field, ind in row.by_field.items():
            w.writerow(
                [
                    row.unit_code,
                    name,
                    f"Lĩnh vực: {FIELD_VI[field]}",
                    *(getattr(ind, n) for n in CASE_INDICATORS),
                    *([""] * len(ACTIVITY_INDICATORS)),
                ]
            )
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(report: ReportPublic) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.properties.created = wb.properties.modified = _FIXED_TIME
    wb.properties.creator = "petitions"
    ws = wb.active
    ws.title = "Báo cáo"
    headings = [
        "STT",
        "Đơn vị",
        *(HEADINGS_VI[n] for n in CASE_INDICATORS),
        *(HEADINGS_VI[n] for n in ACTIVITY_INDICATORS),
    ]
    ws.cell(row=1, column=1, value=title(report)).font = Font(bold=True, size=13)
    ws.cell(row=2, column=1, value=subtitle(report)).font = Font(italic=True)
    header_row = 4
    for col, text in enumerate(headings, start=1):
        cell = ws.cell(row=header_row, column=col, value=text)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    rows = _rows(report)
    for i, row in enumerate(rows):
        r = header_row + 1 + i
        ws.cell(row=r, column=1, value=i + 1 if row.row != "total" else None)
        ws.cell(row=r, column=2, value=_row_name(row))
        values = [getattr(row.cases, n) for n in CASE_INDICATORS] + [
            getattr(row.activities, n) for n in ACTIVITY_INDICATORS
        ]
        for j, v in enumerate(values):
            ws.cell(row=r, column=3 + j, value=v)
        if row.row == "total":
            for col in range(1, len(headings) + 1):
                ws.cell(row=r, column=col).font = Font(bold=True)
    ws.column_dimensions["B"].width = 42
    for col in range(3, len(headings) + 1):
        ws.column_dimensions[get_column_letter(col)].width = 13
    ws.row_dimensions[header_row].height = 48
    ws.freeze_panes = ws.cell(row=header_row + 1, column=3)

    # the chart: received, resolved on time and overdue for each row but the total
    chart = BarChart()
    chart.type = "col"
    chart.title = "Tiếp nhận, giải quyết đúng hạn và quá hạn theo đơn vị"
    chart.y_axis.title = "Số vụ việc"
    first, last = header_row + 1, header_row + len(rows) - 1
    for name in ("received", "resolved_on_time", "pending_overdue"):
        col = 3 + CASE_INDICATORS.index(name)
        chart.add_data(Reference(ws, min_col=col, min_row=header_row, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=2, min_row=first, max_row=last))
    chart.width, chart.height = 28, 12
    ws.add_chart(chart, f"B{header_row + len(rows) + 3}")

    for sheet_title, label, groups in (
        ("Theo loại đơn", "Loại đơn", "by_kind"),
        ("Theo lĩnh vực", "Lĩnh vực", "by_field"),
    ):
        sheet = wb.create_sheet(sheet_title)
        sheet.cell(row=1, column=1, value=f"{title(report)} — {sheet_title.lower()}").font = Font(bold=True)
        sheet.cell(row=2, column=1, value=subtitle(report)).font = Font(italic=True)
        for col, text in enumerate(["Đơn vị", label, *(HEADINGS_VI[n] for n in CASE_INDICATORS)], start=1):
            sheet.cell(row=4, column=col, value=text).font = Font(bold=True)
        r = 5
        # the unit as a whole (each unit's breakdown is in the JSON and the CSV): a few rows, not
        # units × kinds × fields of them, keeps the workbook small and quick to write
        for row in (report.total,):
            names = KIND_VI if groups == "by_kind" else FIELD_VI
            for key, ind in getattr(row, groups).items():
                sheet.cell(row=r, column=1, value=_row_name(row))
                sheet.cell(row=r, column=2, value=names[key])
                for j, n in enumerate(CASE_INDICATORS):
                    sheet.cell(row=r, column=3 + j, value=getattr(ind, n))
                if row.row == "total":
                    for col in range(1, 3 + len(CASE_INDICATORS)):
                        sheet.cell(row=r, column=col).font = Font(bold=True)
                r += 1
        sheet.column_dimensions["A"].width = 42
        sheet.column_dimensions["B"].width = 24
    buf = io.BytesIO()
    wb.save(buf)
    return _fixed_zip_times(buf.getvalue())


def _fixed_zip_times(data: bytes) -> bytes:
    """The same members with a fixed timestamp: the same report is the same file, byte for byte."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time there
                content = _STAMP.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", content)
            dst.writestr(fixed, content)
    return out.getvalue()


def render(report: ReportPublic, fmt: ReportFormat) -> bytes:
    if fmt == ReportFormat.csv:
        return to_csv(report)
    if fmt == ReportFormat.xlsx:
        return to_xlsx(report)
    return to_json(report)
